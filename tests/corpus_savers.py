"""Real third-party savers from PyPI as a user would register them: `--parity-saver NAME=tests.corpus_savers:FACTORY`.

Each runs on this machine with no account: lmdb and objectstorage on a temp folder, plainredis on the suite's own
Redis (parity_family = "redis"), sqlite (the control) on a temp file. Capabilities are probed, as for any saver
registered without declaring them. The expected findings are tests/fixtures/corpus_expected.toml.
"""

from __future__ import annotations

import atexit
import contextlib
import shutil
import tempfile
from pathlib import Path

from parity import process_temp

_dirs: dict[tuple[str, str], Path] = {}  # (kind, scope) -> its folder, so a reopened saver finds the same data
_envs: dict[str, object] = {}  # lmdb path -> Environment: one per path and process, as lmdb requires


def _folder(kind: str, ctx) -> Path:
    # Not setdefault(key, mkdtemp()): its default is evaluated on every call, and each reopen of a saver on the same
    # scope made (and leaked) one more empty folder: the 4-9 left per `make test`. Under this process's own temp
    # folder: what a killed run leaves goes at the next run's start (parity.process_temp).
    key = (kind, ctx.scope)
    if key not in _dirs:
        _dirs[key] = Path(tempfile.mkdtemp(prefix=f"{kind}-", dir=process_temp.folder()))
    return _dirs[key]


def _drop(kind: str, ctx) -> None:
    if ctx.keep:
        return
    path = _dirs.pop((kind, ctx.scope), None)
    if path is not None:
        env = _envs.pop(str(path), None)
        if env is not None:
            env.close()
        shutil.rmtree(path, ignore_errors=True)


@atexit.register
def _sweep() -> None:
    """Folders whose last saver was a keep=True one (a reopened saver) were never dropped by their context: remove
    what is left when the process ends."""
    for env in _envs.values():
        with contextlib.suppress(Exception):
            env.close()
    _envs.clear()
    for path in _dirs.values():
        shutil.rmtree(path, ignore_errors=True)
    _dirs.clear()


def _lmdb_env(path: Path):
    import lmdb

    if str(path) not in _envs:
        _envs[str(path)] = lmdb.open(str(path), max_dbs=4, map_size=256 * 2**20)
    return _envs[str(path)]


@contextlib.contextmanager
def lmdb_sync(ctx):
    """langgraph-checkpoint-lmdb LMDBSaver on a temp folder."""
    from langgraph_checkpoint_lmdb import LMDBSaver

    try:
        yield LMDBSaver(_lmdb_env(_folder("lmdb", ctx)))
    finally:
        _drop("lmdb", ctx)


@contextlib.asynccontextmanager
async def lmdb_async(ctx):
    """langgraph-checkpoint-lmdb AsyncLMDBSaver on a temp folder (async API only)."""
    from langgraph_checkpoint_lmdb import AsyncLMDBSaver

    saver = AsyncLMDBSaver(_lmdb_env(_folder("lmdb-async", ctx)))
    try:
        yield saver
    finally:
        saver.executor.shutdown(wait=True)
        _drop("lmdb-async", ctx)


@contextlib.contextmanager
def objectstorage(ctx):
    """langgraph-checkpoint-objectstorage ObjectStorageSaver over fsspec's local filesystem, on a temp folder."""
    from langgraph_checkpoint_objectstorage import ObjectStorageSaver

    try:
        yield ObjectStorageSaver.from_conn_string(_folder("objectstorage", ctx).as_uri())
    finally:
        _drop("objectstorage", ctx)


def _redis_drop(client, ctx) -> None:
    if not ctx.keep:
        keys = list(client.scan_iter(match=f"{ctx.scope}:*", count=1000))
        if keys:
            client.delete(*keys)


@contextlib.contextmanager
def plainredis_sync(ctx):
    """langgraph-checkpoint-plainredis RedisSaver (plain Redis, no modules) under the cell's key prefix."""
    from langgraph_checkpoint_plainredis import RedisSaver

    saver = RedisSaver(url=ctx.url, prefix=ctx.scope)
    try:
        yield saver
    finally:
        _redis_drop(saver.client, ctx)
        saver.close()


@contextlib.asynccontextmanager
async def plainredis_async(ctx):
    """langgraph-checkpoint-plainredis AsyncRedisSaver (async API only) under the cell's key prefix."""
    import redis
    from langgraph_checkpoint_plainredis import AsyncRedisSaver

    saver = AsyncRedisSaver(url=ctx.url, prefix=ctx.scope)
    try:
        yield saver
    finally:
        await saver.aclose()
        with contextlib.closing(redis.Redis.from_url(ctx.url)) as client:
            _redis_drop(client, ctx)


plainredis_sync.parity_family = plainredis_async.parity_family = "redis"


@contextlib.contextmanager
def sqlite_control(ctx):
    """langgraph-checkpoint-sqlite SqliteSaver on a temp file: the control, expected to show no finding."""
    import sqlite3

    from langgraph.checkpoint.sqlite import SqliteSaver

    conn = sqlite3.connect(str(_folder("sqlite", ctx) / "cp.db"), check_same_thread=False)
    try:
        yield SqliteSaver(conn)
    finally:
        conn.close()
        _drop("sqlite", ctx)


CORPUS = {"lmdb": "lmdb_sync", "lmdb-async": "lmdb_async", "objectstorage": "objectstorage",
          "plainredis": "plainredis_sync", "plainredis-async": "plainredis_async", "sqlite-control": "sqlite_control"}
