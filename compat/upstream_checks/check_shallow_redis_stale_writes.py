"""Standalone: AsyncShallowRedisSaver.aprune(strategy='delete') and ShallowRedisSaver.prune; stale writes on the latest tuple."""
import sys, asyncio
from langgraph.checkpoint.base import create_checkpoint, empty_checkpoint
from langgraph.checkpoint.redis import ShallowRedisSaver, AsyncShallowRedisSaver
def chain(n):
    cp = empty_checkpoint(); out = []
    for step in range(-1, n - 1):
        cp = create_checkpoint(cp, None, step); out.append((cp, {"source": "loop", "step": step, "parents": {}}))
    return out
url = sys.argv[1]
with ShallowRedisSaver.from_conn_string(url) as s:
    s.setup()
    parent = {"configurable": {"thread_id": "sp1", "checkpoint_ns": ""}}
    for i, (cp, md) in enumerate(chain(3)):
        parent = s.put(parent, cp, md, {})
        s.put_writes(parent, [("log", i)], f"task-{i}")
    print("sync shallow latest pending writes:", s.get_tuple({"configurable": {"thread_id": "sp1", "checkpoint_ns": ""}}).pending_writes)
    s.prune(["sp1"], strategy="delete")
    print("sync shallow after prune(delete):", len(list(s.list({"configurable": {"thread_id": "sp1", "checkpoint_ns": ""}}))))
async def amain():
    async with AsyncShallowRedisSaver.from_conn_string(url) as s:
        await s.asetup()
        parent = {"configurable": {"thread_id": "ap1", "checkpoint_ns": ""}}
        for cp, md in chain(3):
            parent = await s.aput(parent, cp, md, {})
        await s.aprune(["ap1"], strategy="delete")
        print("async shallow after aprune(delete):", len([x async for x in s.alist({"configurable": {"thread_id": "ap1", "checkpoint_ns": ""}})]))
asyncio.run(amain())
