"""The Redis family's savers (langgraph-checkpoint-redis) and their capabilities, and the RESP saver factories a
family of another Redis-protocol server can reuse (a key prefix per scope, redis-py clients, optional pool)."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
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


def _modules_fix(probe: dict[str, Any]) -> str:
    """How to get RedisJSON and RediSearch: a Redis 8 built without them (e.g. a distribution's package, compiled
    without BUILD_WITH_MODULES) only needs them added; an older Redis needs Redis Stack or Redis 8 with modules."""
    version = probe.get("version")
    major = str(version or "").split(".", 1)[0]
    if major.isdigit() and int(major) >= 8:
        return (f"this Redis {version} was built without its modules: use an image or build that has them "
                "(redis:8 on Docker Hub, or build with BUILD_WITH_MODULES=yes), or load RedisJSON and RediSearch "
                "with --loadmodule")
    return ("use Redis 8 with its modules (the redis:8 image has JSON and search) or Redis Stack "
            "(redis/redis-stack-server), or load RedisJSON and RediSearch with --loadmodule")


# On a Redis server: the same needs, with how to get a Redis that has them.
MODULES_WITH_FIX = dataclasses.replace(MODULES, fix=_modules_fix)


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
    """A client of redis-py's sync or asyncio module (same names in both): a cluster client when the cluster study
    gives its nodes (`ctx.options["cluster"]`: [(host, port)], Capability.CLUSTER), a blocking pool of the size the
    concurrency study's tuned arm asks for (`ctx.options["pool"]`), else the library's default pool."""
    nodes = ctx.options.get("cluster")
    if nodes:
        cluster = importlib.import_module(f"{redis_module.__name__}.cluster")  # redis.cluster / redis.asyncio.cluster
        return cluster.RedisCluster(startup_nodes=[cluster.ClusterNode(h, p) for h, p in nodes], socket_timeout=5)
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
    need the JSON and search modules, judged on the server found: `needs` says so (MODULES; the Redis family's
    MODULES_WITH_FIX adds how to get a Redis that has them)."""
    full = {C.FULL_HISTORY, C.PRUNE}
    # C.CLUSTER: their factories open on a cluster's nodes (ctx.options["cluster"], _client); whether they work
    # there is the cluster study's question

    def repro(classes: tuple[str, str]) -> Repro | None:  # another family's copies open as the matrix opens them
        if origin != "built-in":
            return None
        return Repro.of(*classes, families.get(family).repro_arg, async_setup="await s.asetup()")
    return [
        Backend(prefix, family, frozenset(SERVER_SAVER | full | {C.TTL, C.CLUSTER}),
                resp_sync(CLASSES["redis"][0]), resp_async(CLASSES["redis"][1]),
                "RedisSaver / AsyncRedisSaver (langgraph-checkpoint-redis), RedisJSON + RediSearch",
                origin=origin, needs=needs, repro=repro(CLASSES["redis"])),
        Backend(f"{prefix}-shallow", family, frozenset(SERVER_SAVER | {C.TTL, C.PRUNE, C.CLUSTER}),
                resp_sync(CLASSES["redis-shallow"][0]), resp_async(CLASSES["redis-shallow"][1]),
                "ShallowRedisSaver / AsyncShallowRedisSaver: keeps only the latest checkpoint per thread",
                origin=origin, needs=needs, repro=repro(CLASSES["redis-shallow"])),
    ]
