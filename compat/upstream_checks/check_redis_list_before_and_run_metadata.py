"""Standalone: Redis list(before=) on a plain 3-node graph, and run metadata on the checkpoint."""
import sys, uuid
from typing import TypedDict
from langgraph.graph import END, START, StateGraph
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.redis import RedisSaver
class S(TypedDict):
    n: int
b = StateGraph(S)
for x in "abc":
    b.add_node(x, lambda s: {"n": s["n"] + 1})
b.add_edge(START, "a"); b.add_edge("a", "b"); b.add_edge("b", "c"); b.add_edge("c", END)
def run(name, saver):
    app = b.compile(checkpointer=saver); tid = str(uuid.uuid4())
    cfg = {"configurable": {"thread_id": tid}, "metadata": {"user": "Zoe", "big": 2**62, "flag": False}}
    app.invoke({"n": 0}, cfg)
    c = {"configurable": {"thread_id": tid}}
    lst = list(saver.list(c))
    ids = [t.config["configurable"]["checkpoint_id"] for t in lst]
    before = [t.config["configurable"]["checkpoint_id"] for t in saver.list(c, before=lst[2].config)]
    before_lim = [t.config["configurable"]["checkpoint_id"] for t in saver.list(c, before=lst[1].config, limit=2)]
    print(f"{name}: {len(ids)} checkpoints; before 3rd -> {[ids.index(i) for i in before]}; before 2nd limit 2 -> {[ids.index(i) for i in before_lim]}")
    print(f"   newest metadata: {saver.get_tuple(c).metadata}")
run("memory", InMemorySaver())
with RedisSaver.from_conn_string(sys.argv[1]) as s:
    s.setup(); run("redis", s)
