"""Standalone: (Async)ShallowRedisSaver.delete_thread with default vs custom checkpoint_prefix."""
import sys, asyncio
import redis, redis.asyncio as aredis
from langgraph.checkpoint.base import create_checkpoint, empty_checkpoint
from langgraph.checkpoint.redis import ShallowRedisSaver, AsyncShallowRedisSaver
url = sys.argv[1]
def cp():
    return create_checkpoint(empty_checkpoint(), None, 0)
for kw in ({}, {"checkpoint_prefix": "pfx_checkpoint", "checkpoint_write_prefix": "pfx_checkpoint_write"}):
    s = ShallowRedisSaver(redis_client=redis.Redis.from_url(url), **kw); s.setup()
    c = s.put({"configurable": {"thread_id": "d1", "checkpoint_ns": ""}}, cp(), {"source": "loop", "step": 0, "parents": {}}, {})
    s.delete_thread("d1")
    print("sync", kw or "default prefix", "-> tuple after delete:", s.get_tuple(c) is not None)
    async def a():
        s = AsyncShallowRedisSaver(redis_client=aredis.Redis.from_url(url), **kw); await s.asetup()
        c = await s.aput({"configurable": {"thread_id": "d2", "checkpoint_ns": ""}}, cp(), {"source": "loop", "step": 0, "parents": {}}, {})
        await s.adelete_thread("d2")
        print("async", kw or "default prefix", "-> tuple after delete:", (await s.aget_tuple(c)) is not None)
    asyncio.run(a())
