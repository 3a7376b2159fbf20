"""Standalone: list(limit=0) returns nothing (memory) or everything (Redis savers)? Does AsyncRedisSaver answer a sync
list() from a worker thread, as AsyncPostgresSaver does? argv: [redis_url, postgres_url]."""
import asyncio
import sys

from langgraph.checkpoint.base import create_checkpoint, empty_checkpoint
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.redis import AsyncRedisSaver, RedisSaver

CFG = {"configurable": {"thread_id": "limit0", "checkpoint_ns": ""}}
META = {"source": "loop", "step": 0, "parents": {}}


def limit_zero(saver):
    saver.put(CFG, create_checkpoint(empty_checkpoint(), None, 0), META, {})
    return len(list(saver.list(CFG, limit=0)))


async def sync_list_from_thread(saver):
    await saver.aput(CFG, create_checkpoint(empty_checkpoint(), None, 0), META, {})
    try:
        return f"{len(await asyncio.to_thread(lambda: list(saver.list(CFG))))} listed"
    except NotImplementedError as exc:
        return f"NotImplementedError: {exc}"[:90]


async def main():
    async with AsyncRedisSaver.from_conn_string(sys.argv[1]) as r, AsyncPostgresSaver.from_conn_string(sys.argv[2]) as p:
        await r.asetup(); await p.setup()
        print(f"sync list() from a thread: AsyncPostgresSaver {await sync_list_from_thread(p)}; AsyncRedisSaver {await sync_list_from_thread(r)}")
with RedisSaver.from_conn_string(sys.argv[1]) as redis:
    redis.setup()
    print(f"list(limit=0): memory {limit_zero(InMemorySaver())}, RedisSaver {limit_zero(redis)}")
asyncio.run(main())
