"""The Postgres family's savers (langgraph-checkpoint-postgres, psycopg 3) and their capabilities."""

from __future__ import annotations

import contextlib
import warnings
from typing import Any

from parity import families
from parity.backends.backend import Backend, Repro, SaverContext
from parity.backends.builtin import SERVER_SAVER, import_path
from parity.backends.capabilities import Capability as C

PG_CONN_KW = {"autocommit": True, "prepare_threshold": 0}  # what the Postgres savers require of a connection
CLASSES = {
    "postgres": ("langgraph.checkpoint.postgres.PostgresSaver", "langgraph.checkpoint.postgres.aio.AsyncPostgresSaver"),
    "postgres-shallow": ("langgraph.checkpoint.postgres.shallow.ShallowPostgresSaver",
                         "langgraph.checkpoint.postgres.shallow.AsyncShallowPostgresSaver"),
}


def _sync(cls_path: str):
    @contextlib.contextmanager
    def open_saver(ctx: SaverContext):
        family = families.get(ctx.endpoint.family)
        family.create_scope(ctx.url, ctx.scope)
        url = family.scoped_url(ctx.url, ctx.scope)
        try:
            with _sync_conn(url, ctx.options.get("pool")) as conn:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)  # the shallow saver warns on construction
                    saver = import_path(cls_path)(conn)
                saver.setup()
                yield saver
        finally:
            if not ctx.keep:
                family.drop_scope(ctx.url, ctx.scope)
    return open_saver


def _async(cls_path: str):
    @contextlib.asynccontextmanager
    async def open_saver(ctx: SaverContext):
        family = families.get(ctx.endpoint.family)
        await family.acreate_scope(ctx.url, ctx.scope)
        url = family.scoped_url(ctx.url, ctx.scope)
        try:
            async with _async_conn(url, ctx.options.get("pool")) as conn:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    saver = import_path(cls_path)(conn)
                await saver.setup()
                yield saver
        finally:
            if not ctx.keep:
                await family.adrop_scope(ctx.url, ctx.scope)
    return open_saver


@contextlib.contextmanager
def _sync_conn(url: str, pool: dict[str, Any] | None):
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
async def _async_conn(url: str, pool: dict[str, Any] | None):
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


def backends(family: str) -> list[Backend]:
    full = {C.FULL_HISTORY, C.PRUNE}
    return [
        Backend("postgres", family, frozenset(SERVER_SAVER | full),
                _sync(CLASSES["postgres"][0]), _async(CLASSES["postgres"][1]),
                "PostgresSaver / AsyncPostgresSaver (langgraph-checkpoint-postgres, psycopg 3)",
                repro=Repro.of(*CLASSES["postgres"], families.get(family).repro_arg)),
        # delete_thread raises NotImplementedError on the shallow Postgres savers
        Backend("postgres-shallow", family, frozenset(SERVER_SAVER - {C.DELETE_THREAD}),
                _sync(CLASSES["postgres-shallow"][0]), _async(CLASSES["postgres-shallow"][1]),
                "ShallowPostgresSaver / AsyncShallowPostgresSaver (deprecated upstream): latest checkpoint only",
                repro=Repro.of(*CLASSES["postgres-shallow"], families.get(family).repro_arg)),
    ]


@contextlib.contextmanager
def pooled_saver(family, url: str, scope: str):
    """PostgresSaver over a psycopg ConnectionPool that checks connections, in the scope's schema: how services usually
    deploy it (Lever.POOLED_SAVER: does it work again once the server is back)."""
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.rows import dict_row
    from psycopg_pool import ConnectionPool

    family.create_scope(url, scope)
    with ConnectionPool(family.scoped_url(url, scope), min_size=1, max_size=2, timeout=2,
                        check=ConnectionPool.check_connection, open=True,
                        kwargs={**PG_CONN_KW, "row_factory": dict_row}) as pool:
        saver = PostgresSaver(pool)
        saver.setup()
        yield saver
