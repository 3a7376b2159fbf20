"""Standalone (found by compat/test_generated.py): (Async)ShallowRedisSaver.list({"thread_id": t}) without a
checkpoint_ns returns checkpoint_ns "__empty__" (sync) or extra metadata keys (async) where InMemorySaver returns
checkpoint_ns "" and the metadata as put."""
import asyncio, sys, uuid
from langgraph.checkpoint.base import empty_checkpoint
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.redis import AsyncShallowRedisSaver, ShallowRedisSaver


def show(name, tuples):
    print(f"{name:20}", [(t.config["configurable"].get("checkpoint_ns"), t.metadata) for t in tuples])


def put(saver, tid):
    return saver.put({"configurable": {"thread_id": tid, "checkpoint_ns": ""}}, empty_checkpoint(), {"n": 1}, {})


async def main():
    tid = str(uuid.uuid4())
    mem = InMemorySaver(); put(mem, tid); show("memory", mem.list({"configurable": {"thread_id": tid}}))
    with ShallowRedisSaver.from_conn_string(sys.argv[1]) as s:
        s.setup(); put(s, tid); show("redis-shallow sync", s.list({"configurable": {"thread_id": tid}}))
    async with AsyncShallowRedisSaver.from_conn_string(sys.argv[1]) as s:
        await s.asetup(); tid = str(uuid.uuid4())
        await s.aput({"configurable": {"thread_id": tid, "checkpoint_ns": ""}}, empty_checkpoint(), {"n": 1}, {})
        show("redis-shallow async", [t async for t in s.alist({"configurable": {"thread_id": tid}})])

asyncio.run(main())
