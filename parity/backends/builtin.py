"""The built-in backends: memory (the reference), redis, redis-shallow, postgres, postgres-shallow, sqlite."""

from __future__ import annotations

import atexit
import contextlib
import os
import tempfile
import warnings
from typing import Any

from parity import families
from parity.backends.capabilities import Capability as C
from parity.backends.backend import Backend, SaverContext

# The in-memory saver every other backend is judged against (compat) and whose timings show the machine's own
# speed (compare): LangGraph's own InMemorySaver, in this process, no server.
REFERENCE = "memory"
LIST_OPS = {C.LIST_FILTER, C.LIST_BEFORE, C.LIST_LIMIT}
SERVER_SAVER = {C.SYNC, C.ASYNC, C.DURABLE, C.SERVER, C.PERSISTENCE_CONTROL, C.DELETE_THREAD, C.POOL} | LIST_OPS
PG_CONN_KW = {"autocommit": True, "prepare_threshold": 0}  # what the Postgres savers require of a connection

# In-memory savers share storage per scope so a "reopened" saver sees the same threads.
_memory: dict[str, Any] = {}


@contextlib.contextmanager
def memory_sync(ctx: SaverContext):
    from langgraph.checkpoint.memory import InMemorySaver

    saver = _memory.setdefault(ctx.scope, InMemorySaver())
    try:
        yield saver
    finally:
        if not ctx.keep:
            _memory.pop(ctx.scope, None)


@contextlib.asynccontextmanager
async def memory_async(ctx: SaverContext):
    with memory_sync(ctx) as saver:
        yield saver


def _redis_kwargs(ctx: SaverContext) -> dict[str, Any]:
    kw: dict[str, Any] = {"checkpoint_prefix": f"{ctx.scope}_checkpoint",
                          "checkpoint_write_prefix": f"{ctx.scope}_checkpoint_write"}
    if "ttl" in ctx.options:
        kw["ttl"] = ctx.options["ttl"]
    return kw


def _redis_sync(cls_path: str):
    @contextlib.contextmanager
    def open_saver(ctx: SaverContext):
        import redis

        cls = _import(cls_path)
        pool = ctx.options.get("pool")
        client = (redis.Redis(connection_pool=redis.BlockingConnectionPool.from_url(
            ctx.url, max_connections=pool["max_connections"], timeout=pool.get("timeout", 20)))
            if pool else redis.Redis.from_url(ctx.url))
        try:  # setup inside: a failed setup must not leave the client or a half-created index behind
            saver = cls(redis_client=client, **_redis_kwargs(ctx))
            saver.setup()
            yield saver
        finally:
            try:
                client.close()
            finally:
                if not ctx.keep:
                    families.get(ctx.endpoint.family).drop_scope(ctx.url, ctx.scope)
    return open_saver


def _redis_async(cls_path: str):
    @contextlib.asynccontextmanager
    async def open_saver(ctx: SaverContext):
        import redis.asyncio as aredis

        cls = _import(cls_path)
        pool = ctx.options.get("pool")
        client = (aredis.Redis(connection_pool=aredis.BlockingConnectionPool.from_url(
            ctx.url, max_connections=pool["max_connections"], timeout=pool.get("timeout", 20)))
            if pool else aredis.Redis.from_url(ctx.url))
        try:  # setup inside: a failed setup must not leave the client or a half-created index behind
            saver = cls(redis_client=client, **_redis_kwargs(ctx))
            await saver.asetup()
            yield saver
        finally:
            try:
                await client.aclose()
            finally:
                if not ctx.keep:
                    await families.get(ctx.endpoint.family).adrop_scope(ctx.url, ctx.scope)
    return open_saver


def _postgres_sync(cls_path: str):
    @contextlib.contextmanager
    def open_saver(ctx: SaverContext):
        family = families.get(ctx.endpoint.family)
        family.create_scope(ctx.url, ctx.scope)
        url = family.scoped_url(ctx.url, ctx.scope)
        try:
            with _pg_sync_conn(url, ctx.options.get("pool")) as conn:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)  # the shallow saver warns on construction
                    saver = _import(cls_path)(conn)
                saver.setup()
                yield saver
        finally:
            if not ctx.keep:
                family.drop_scope(ctx.url, ctx.scope)
    return open_saver


def _postgres_async(cls_path: str):
    @contextlib.asynccontextmanager
    async def open_saver(ctx: SaverContext):
        family = families.get(ctx.endpoint.family)
        await family.acreate_scope(ctx.url, ctx.scope)
        url = family.scoped_url(ctx.url, ctx.scope)
        try:
            async with _pg_async_conn(url, ctx.options.get("pool")) as conn:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    saver = _import(cls_path)(conn)
                await saver.setup()
                yield saver
        finally:
            if not ctx.keep:
                await family.adrop_scope(ctx.url, ctx.scope)
    return open_saver


@contextlib.contextmanager
def _pg_sync_conn(url: str, pool: dict[str, Any] | None):
    """One connection (the savers' documented default) or, when asked, a psycopg_pool sized by the caller."""
    import psycopg
    from psycopg.rows import dict_row

    if not pool:
        with psycopg.connect(url, row_factory=dict_row, **PG_CONN_KW) as conn:
            yield conn
        return
    from psycopg_pool import ConnectionPool

    with ConnectionPool(url, min_size=pool.get("min_size", 1), max_size=pool["max_size"], timeout=pool.get("timeout", 30),
                        kwargs={"row_factory": dict_row, **PG_CONN_KW}, open=True) as p:
        yield p


@contextlib.asynccontextmanager
async def _pg_async_conn(url: str, pool: dict[str, Any] | None):
    import psycopg
    from psycopg.rows import dict_row

    if not pool:
        async with await psycopg.AsyncConnection.connect(url, row_factory=dict_row, **PG_CONN_KW) as conn:
            yield conn
        return
    from psycopg_pool import AsyncConnectionPool

    async with AsyncConnectionPool(url, min_size=pool.get("min_size", 1), max_size=pool["max_size"],
                                   timeout=pool.get("timeout", 30), kwargs={"row_factory": dict_row, **PG_CONN_KW},
                                   open=False) as p:
        yield p


_sqlite_dir = tempfile.gettempdir()
# Files a scope kept open for a later reopen (ctx.keep): the last opener keeps them too, so they go when this
# process ends (they were left in the temp folder, one per kept scope, before).
_kept_sqlite: set[str] = set()


def _keep_or_unlink(ctx: SaverContext, path: str) -> None:
    if not ctx.keep:
        _unlink_sqlite(path)
        _kept_sqlite.discard(path)
    elif not _kept_sqlite:
        atexit.register(lambda: [_unlink_sqlite(p) for p in list(_kept_sqlite)])
        _kept_sqlite.add(path)
    else:
        _kept_sqlite.add(path)


@contextlib.contextmanager
def sqlite_sync(ctx: SaverContext):
    import sqlite3

    from langgraph.checkpoint.sqlite import SqliteSaver

    path = os.path.join(_sqlite_dir, f"parity-{ctx.scope}.sqlite")
    conn = sqlite3.connect(path, check_same_thread=False)
    try:
        yield SqliteSaver(conn)
    finally:
        conn.close()
        _keep_or_unlink(ctx, path)


@contextlib.asynccontextmanager
async def sqlite_async(ctx: SaverContext):
    import aiosqlite

    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    path = os.path.join(_sqlite_dir, f"parity-{ctx.scope}.sqlite")
    try:
        async with aiosqlite.connect(path) as conn:
            yield AsyncSqliteSaver(conn)
    finally:
        _keep_or_unlink(ctx, path)


def _unlink_sqlite(path: str) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path + suffix)


# The saver classes of each built-in backend (sync, async): the factories below build them, and backend_of()
# names the backend of a saver someone built themselves (a ShadowSaver's candidate), so the reviewed known
# divergences of that backend apply to it too.
CLASSES = {
    "memory": ("langgraph.checkpoint.memory.InMemorySaver",),
    "redis": ("langgraph.checkpoint.redis.RedisSaver", "langgraph.checkpoint.redis.AsyncRedisSaver"),
    "redis-shallow": ("langgraph.checkpoint.redis.ShallowRedisSaver", "langgraph.checkpoint.redis.AsyncShallowRedisSaver"),
    "postgres": ("langgraph.checkpoint.postgres.PostgresSaver", "langgraph.checkpoint.postgres.aio.AsyncPostgresSaver"),
    "postgres-shallow": ("langgraph.checkpoint.postgres.shallow.ShallowPostgresSaver",
                         "langgraph.checkpoint.postgres.shallow.AsyncShallowPostgresSaver"),
    "sqlite": ("langgraph.checkpoint.sqlite.SqliteSaver", "langgraph.checkpoint.sqlite.aio.AsyncSqliteSaver"),
}


def backend_of(saver: Any) -> str | None:
    """The built-in backend whose saver class this saver is (exactly, not a subclass), or None."""
    for name, paths in CLASSES.items():
        for path in paths:
            try:
                if type(saver) is _import(path):
                    return name
            except (ImportError, AttributeError):  # that saver's package is not installed
                continue
    return None


def _import(path: str):
    import importlib

    module, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def backends() -> list[Backend]:
    full = {C.FULL_HISTORY, C.PRUNE}
    return [
        Backend("memory", None, frozenset({C.SYNC, C.ASYNC, C.FULL_HISTORY, C.DELETE_THREAD} | LIST_OPS),
                memory_sync, memory_async, "InMemorySaver from langgraph: the reference every run is judged against"),
        Backend("redis", "redis", frozenset(SERVER_SAVER | full | {C.TTL}),
                _redis_sync(CLASSES["redis"][0]),
                _redis_async(CLASSES["redis"][1]),
                "RedisSaver / AsyncRedisSaver (langgraph-checkpoint-redis), RedisJSON + RediSearch"),
        Backend("redis-shallow", "redis", frozenset(SERVER_SAVER | {C.TTL, C.PRUNE}),
                _redis_sync(CLASSES["redis-shallow"][0]),
                _redis_async(CLASSES["redis-shallow"][1]),
                "ShallowRedisSaver / AsyncShallowRedisSaver: keeps only the latest checkpoint per thread"),
        Backend("postgres", "postgres", frozenset(SERVER_SAVER | full),
                _postgres_sync(CLASSES["postgres"][0]),
                _postgres_async(CLASSES["postgres"][1]),
                "PostgresSaver / AsyncPostgresSaver (langgraph-checkpoint-postgres, psycopg 3)"),
        # delete_thread raises NotImplementedError on the shallow Postgres savers
        Backend("postgres-shallow", "postgres", frozenset(SERVER_SAVER - {C.DELETE_THREAD}),
                _postgres_sync(CLASSES["postgres-shallow"][0]),
                _postgres_async(CLASSES["postgres-shallow"][1]),
                "ShallowPostgresSaver / AsyncShallowPostgresSaver (deprecated upstream): latest checkpoint only"),
        Backend("sqlite", None, frozenset({C.SYNC, C.ASYNC, C.FULL_HISTORY, C.DURABLE, C.DELETE_THREAD} | LIST_OPS),
                sqlite_sync, sqlite_async, "SqliteSaver / AsyncSqliteSaver on a temp file: a cheap durable baseline"),
    ]
