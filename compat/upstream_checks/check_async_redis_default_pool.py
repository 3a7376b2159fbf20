"""Standalone: AsyncRedisSaver at redis-py's default connection pool under 64 concurrent tasks. redis-py's asyncio
ConnectionPool holds at most 100 connections (`max_connections or 100`) and raises MaxConnectionsError instead of
waiting; how many of 64 tasks' put + get_tuple calls fail that way, how many connections were in use at the peak,
and the same calls through a BlockingConnectionPool of 64 (which waits). argv: [redis_url, postgres_url]."""
import asyncio
import sys
import uuid
from collections import Counter

import redis.asyncio as aredis
from langgraph.checkpoint.base import create_checkpoint, empty_checkpoint
from langgraph.checkpoint.redis.aio import AsyncRedisSaver

url = sys.argv[1]
TASKS, CALLS = 64, 3


async def run(saver, pool, label):
    errors: Counter = Counter()
    peak = 0

    async def watch():
        nonlocal peak
        while True:
            peak = max(peak, len(getattr(pool, "_in_use_connections", ())))
            await asyncio.sleep(0)

    async def task(k):
        thread = f"{label}-{k}-{uuid.uuid4().hex[:6]}"
        cfg = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
        for n in range(CALLS):
            try:
                cp = create_checkpoint(empty_checkpoint(), None, n)
                cfg = await saver.aput(cfg, cp, {"source": "loop", "step": n, "parents": {}}, {})
                await saver.aget_tuple({"configurable": {"thread_id": thread, "checkpoint_ns": ""}})
            except Exception as exc:  # what this check counts
                errors[f"{type(exc).__name__}: {str(exc)[:60]}"] += 1
    watcher = asyncio.create_task(watch())
    await asyncio.gather(*(task(k) for k in range(TASKS)))
    watcher.cancel()
    print(f"{label}: {TASKS} tasks x {CALLS} put+get_tuple, failed {sum(errors.values())}, "
          f"connections in use at the peak {peak} (pool max {pool.max_connections}); {dict(errors)}")


async def main():
    async with AsyncRedisSaver.from_conn_string(url) as saver:
        await saver.asetup()
        await run(saver, saver._redis.connection_pool, "redis-py default pool")
    pool = aredis.BlockingConnectionPool.from_url(url, max_connections=TASKS, timeout=30)
    client = aredis.Redis(connection_pool=pool)
    saver = AsyncRedisSaver(redis_client=client)
    await saver.asetup()
    await run(saver, pool, f"BlockingConnectionPool({TASKS})")
    await client.aclose()


asyncio.run(main())
