"""The backends: memory (the reference) and sqlite, which need no server, and every server family's savers
(parity.families: each family declares its own, with their capabilities)."""

from __future__ import annotations

import contextlib
import os
from typing import Any

from parity import families, process_temp
from parity.backends.capabilities import Capability as C
from parity.backends.backend import Backend, Repro, SaverContext

# The in-memory saver every other backend is judged against (compat) and whose timings show the machine's own
# speed (compare): LangGraph's own InMemorySaver, in this process, no server.
REFERENCE = "memory"
# SqliteSaver on a temp file: a cheap durable baseline that needs no server.
SQLITE = "sqlite"
LIST_OPS = {C.LIST_FILTER, C.LIST_BEFORE, C.LIST_LIMIT}
# What a saver on a server the suite can start and configure offers, before what is particular to it.
SERVER_SAVER = {C.SYNC, C.ASYNC, C.DURABLE, C.SERVER, C.PERSISTENCE_CONTROL, C.DELETE_THREAD, C.POOL} | LIST_OPS

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


def _sqlite_path(scope: str) -> str:
    # In this process's own temp folder (parity.process_temp): a scope kept for a later reopen (ctx.keep) goes with
    # the folder when the process ends, and with a killed process's folder at the next run's start (one file set per
    # kept scope of a killed run was left in the temp folder before).
    return str(process_temp.folder() / f"{scope}.sqlite")


def _unlink_unless_kept(ctx: SaverContext, path: str) -> None:
    if not ctx.keep:
        _unlink_sqlite(path)


@contextlib.contextmanager
def sqlite_sync(ctx: SaverContext):
    import sqlite3

    from langgraph.checkpoint.sqlite import SqliteSaver

    path = _sqlite_path(ctx.scope)
    conn = sqlite3.connect(path, check_same_thread=False)
    try:
        yield SqliteSaver(conn)
    finally:
        conn.close()
        _unlink_unless_kept(ctx, path)


@contextlib.asynccontextmanager
async def sqlite_async(ctx: SaverContext):
    import aiosqlite

    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    path = _sqlite_path(ctx.scope)
    try:
        async with aiosqlite.connect(path) as conn:
            yield AsyncSqliteSaver(conn)
    finally:
        _unlink_unless_kept(ctx, path)


def _unlink_sqlite(path: str) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path + suffix)


# The saver classes of each serverless backend (sync, async); the families add theirs (Family.saver_classes()):
# backend_of() names the backend of a saver someone built themselves (a ShadowSaver's candidate), so the reviewed
# known divergences of that backend apply to it too.
CLASSES = {
    REFERENCE: ("langgraph.checkpoint.memory.InMemorySaver",),
    SQLITE: ("langgraph.checkpoint.sqlite.SqliteSaver", "langgraph.checkpoint.sqlite.aio.AsyncSqliteSaver"),
}


def saver_classes() -> dict[str, tuple[str, ...]]:
    classes = dict(CLASSES)
    for name in families.names():
        classes.update(families.get(name).saver_classes())
    return classes


# The distributions the serverless backends run on (the families declare theirs: Family.packages).
PACKAGES = ("langgraph-checkpoint-sqlite",)


def packages() -> tuple[str, ...]:
    """Every distribution a built-in backend runs on, for the results document's versions."""
    return PACKAGES + tuple(p for name in families.names() for p in families.get(name).packages)


def memory_store(saver: Any) -> tuple | None:
    """An InMemorySaver's storage dict: two savers sharing it are one store (a ShadowSaver refuses that)."""
    from langgraph.checkpoint.memory import InMemorySaver

    return (REFERENCE, f"storage@{id(saver.storage):x}") if isinstance(saver, InMemorySaver) else None


def sqlite_store(saver: Any) -> tuple | None:
    """A SqliteSaver's database file (or its in-memory database)."""
    import sqlite3

    conn = getattr(saver, "conn", None)
    if not isinstance(conn, sqlite3.Connection):
        return None
    path = next((row[2] for row in conn.execute("PRAGMA database_list") if row[1] == "main"), "")
    return (SQLITE, path) if path else (SQLITE, f"memory@{id(conn):x}")  # "": an in-memory database


def backend_of(saver: Any) -> str | None:
    """The built-in backend whose saver class this saver is (exactly, not a subclass), or None."""
    for name, paths in saver_classes().items():
        for path in paths:
            try:
                if type(saver) is import_path(path):
                    return name
            except (ImportError, AttributeError):  # that saver's package is not installed
                continue
    return None


def import_path(path: str):
    import importlib

    module, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def backends() -> list[Backend]:
    """The reference first, then each family's savers in family order, then sqlite."""
    out = [Backend(REFERENCE, None, frozenset({C.SYNC, C.ASYNC, C.FULL_HISTORY, C.DELETE_THREAD} | LIST_OPS),
                   memory_sync, memory_async, "InMemorySaver from langgraph: the reference every run is judged against")]
    for name in families.names():
        out += families.get(name).backends()
    out.append(Backend(SQLITE, None, frozenset({C.SYNC, C.ASYNC, C.FULL_HISTORY, C.DURABLE, C.DELETE_THREAD} | LIST_OPS),
                       sqlite_sync, sqlite_async, "SqliteSaver / AsyncSqliteSaver on a temp file: a cheap durable baseline",
                       repro=Repro.of(*CLASSES[SQLITE], SQLITE, conn="':memory:'", sync_setup="", async_setup="")))
    return out
