"""Standalone: sync RedisSaver, parallel branch failure: are the pending writes kept? default vs custom prefix, durability."""
import sys, uuid, threading, operator
from typing import TypedDict, Annotated
import redis
from langgraph.graph import END, START, StateGraph
from langgraph.checkpoint.redis import RedisSaver
class P(TypedDict):
    log: Annotated[list, operator.add]
runs = {"good": 0}; fail = {"on": True}; ev = threading.Event()
def good(s):
    runs["good"] += 1; ev.set(); return {"log": ["good"]}
def bad(s):
    ev.wait(5)
    if fail["on"]:
        raise RuntimeError("bad failed")
    return {"log": ["bad"]}
b = StateGraph(P); b.add_node("good", good); b.add_node("bad", bad); b.add_node("join", lambda s: {"log": ["join"]})
b.add_edge(START, "good"); b.add_edge(START, "bad"); b.add_edge(["good", "bad"], "join"); b.add_edge("join", END)
def trial(saver, durability):
    runs["good"] = 0; fail["on"] = True; ev.clear()
    app = b.compile(checkpointer=saver); cfg = {"configurable": {"thread_id": str(uuid.uuid4())}}
    try:
        app.invoke({"log": []}, cfg, durability=durability)
    except RuntimeError:
        pass
    fail["on"] = False
    app.invoke(None, cfg, durability=durability)
    return runs["good"]
for kw in ({}, {"checkpoint_prefix": "pfx_checkpoint", "checkpoint_write_prefix": "pfx_checkpoint_write"}):
    for durability in ("async", "sync"):
        s = RedisSaver(redis_client=redis.Redis.from_url(sys.argv[1]), **kw); s.setup()
        reruns = sum(trial(s, durability) > 1 for _ in range(10))
        print(f"prefix={'custom' if kw else 'default'} durability={durability}: good re-ran in {reruns}/10")
