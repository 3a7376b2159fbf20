"""Floors measured in the same run: the driver's bare round trip per server family (PING, SELECT 1)."""

from __future__ import annotations

import contextlib
from typing import Any, Callable

from parity.servers.endpoint import Endpoint

WHAT = {"redis": "driver round trip: PING", "postgres": "driver round trip: SELECT 1"}


@contextlib.asynccontextmanager
async def round_trip(endpoint: Endpoint, flavour: str):
    """Yield call(i) doing one bare round trip with the family's driver, in the flavour under test."""
    opener = _OPENERS[(endpoint.family, flavour)]
    async with opener(endpoint.url) as call:
        yield call


@contextlib.asynccontextmanager
async def _redis_sync(url: str):
    import redis

    client = redis.Redis.from_url(url)
    try:
        yield lambda i: client.ping()
    finally:
        client.close()


@contextlib.asynccontextmanager
async def _redis_async(url: str):
    import redis.asyncio as aredis

    client = aredis.Redis.from_url(url)
    try:
        yield lambda i: client.ping()
    finally:
        await client.aclose()


@contextlib.asynccontextmanager
async def _pg_sync(url: str):
    import psycopg

    with psycopg.connect(url, autocommit=True, prepare_threshold=0) as conn:
        yield lambda i: conn.execute("SELECT 1").fetchone()


@contextlib.asynccontextmanager
async def _pg_async(url: str):
    import psycopg

    async with await psycopg.AsyncConnection.connect(url, autocommit=True, prepare_threshold=0) as conn:
        async def call(i: int) -> Any:
            cur = await conn.execute("SELECT 1")
            return await cur.fetchone()
        yield call


_OPENERS: dict[tuple[str, str], Callable] = {
    ("redis", "sync"): _redis_sync, ("redis", "async"): _redis_async,
    ("postgres", "sync"): _pg_sync, ("postgres", "async"): _pg_async,
}
