"""The Redis family's savers (langgraph-checkpoint-redis) and their capabilities, and the RESP saver factories a
family of another Redis-protocol server can reuse (a key prefix per scope, redis-py clients, optional pool)."""

from __future__ import annotations

import contextlib
from typing import Any, Callable

from parity import families
from parity.backends.backend import Backend, Repro, SaverContext, ServerNeeds
from parity.backends.builtin import SERVER_SAVER, import_path
from parity.backends.capabilities import Capability as C

# The saver classes of each backend (sync, async): the factories build them, and backend_of() names the backend of
# a saver someone built themselves (a ShadowSaver's candidate).
CLASSES = {
    "redis": ("langgraph.checkpoint.redis.RedisSaver", "langgraph.checkpoint.redis.AsyncRedisSaver"),
    "redis-shallow": ("langgraph.checkpoint.redis.ShallowRedisSaver", "langgraph.checkpoint.redis.AsyncShallowRedisSaver"),
}
# langgraph-checkpoint-redis keeps checkpoints as JSON documents and finds them with search indexes.
MODULES = ServerNeeds(modules=(("ReJSON", "RedisJSON"), ("search", "RediSearch")), who="langgraph-checkpoint-redis")


def official_kwargs(ctx: SaverContext) -> dict[str, Any]:
    """The keyword arguments of langgraph-checkpoint-redis's savers for a scope: its prefixes, and its TTL."""
    kw: dict[str, Any] = {"checkpoint_prefix": f"{ctx.scope}_checkpoint",
                          "checkpoint_write_prefix": f"{ctx.scope}_checkpoint_write"}
    if "ttl" in ctx.options:
        kw["ttl"] = ctx.options["ttl"]
    return kw


def resp_sync(cls_path: str, kwargs: Callable[[SaverContext], dict[str, Any]] = official_kwargs,
              client_kw: str = "redis_client"):
    """A sync factory of a saver class taking a redis-py client (`client_kw`) and `kwargs(ctx)`; the scope's keys
    are dropped on exit by the endpoint's family."""
    @contextlib.contextmanager
    def open_saver(ctx: SaverContext):
        import redis

        cls = import_path(cls_path)
        client = _client(redis, ctx)
        try:  # setup inside: a failed setup must not leave the client or a half-created index behind
            saver = cls(**{client_kw: client}, **kwargs(ctx))
            if hasattr(saver, "setup"):
                saver.setup()
            yield saver
        finally:
            try:
                client.close()
            finally:
                if not ctx.keep:
                    families.get(ctx.endpoint.family).drop_scope(ctx.url, ctx.scope)
    return open_saver


def _client(redis_module, ctx: SaverContext):
    """A client of redis-py's sync or asyncio module (same names in both): a blocking pool of the size the
    concurrency study's tuned arm asks for (`ctx.options["pool"]`), else the library's default pool."""
    pool = ctx.options.get("pool")
    if not pool:
        return redis_module.Redis.from_url(ctx.url)
    return redis_module.Redis(connection_pool=redis_module.BlockingConnectionPool.from_url(
        ctx.url, max_connections=pool["max_connections"], timeout=pool.get("timeout", 20)))


def resp_async(cls_path: str, kwargs: Callable[[SaverContext], dict[str, Any]] = official_kwargs,
               client_kw: str = "redis_client"):
    @contextlib.asynccontextmanager
    async def open_saver(ctx: SaverContext):
        import redis.asyncio as aredis

        cls = import_path(cls_path)
        client = _client(aredis, ctx)
        try:  # setup inside: a failed setup must not leave the client or a half-created index behind
            saver = cls(**{client_kw: client}, **kwargs(ctx))
            if hasattr(saver, "asetup"):
                await saver.asetup()
            yield saver
        finally:
            try:
                await client.aclose()
            finally:
                if not ctx.keep:
                    await families.get(ctx.endpoint.family).adrop_scope(ctx.url, ctx.scope)
    return open_saver


def official(family: str, prefix: str, origin: str = "built-in", needs: ServerNeeds | None = None) -> list[Backend]:
    """langgraph-checkpoint-redis's two savers on a server of `family`, named `prefix` and `prefix`-shallow. They
    need the JSON and search modules: the Redis family's preflight requires them of every server; a family whose
    servers may lack them passes needs=MODULES, judged on the server found."""
    full = {C.FULL_HISTORY, C.PRUNE}

    def repro(classes: tuple[str, str]) -> Repro | None:  # another family's copies open as the matrix opens them
        if origin != "built-in":
            return None
        return Repro.of(*classes, families.get(family).repro_arg, async_setup="await s.asetup()")
    return [
        Backend(prefix, family, frozenset(SERVER_SAVER | full | {C.TTL}),
                resp_sync(CLASSES["redis"][0]), resp_async(CLASSES["redis"][1]),
                "RedisSaver / AsyncRedisSaver (langgraph-checkpoint-redis), RedisJSON + RediSearch",
                origin=origin, needs=needs, repro=repro(CLASSES["redis"])),
        Backend(f"{prefix}-shallow", family, frozenset(SERVER_SAVER | {C.TTL, C.PRUNE}),
                resp_sync(CLASSES["redis-shallow"][0]), resp_async(CLASSES["redis-shallow"][1]),
                "ShallowRedisSaver / AsyncShallowRedisSaver: keeps only the latest checkpoint per thread",
                origin=origin, needs=needs, repro=repro(CLASSES["redis-shallow"])),
    ]
