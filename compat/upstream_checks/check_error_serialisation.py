"""Standalone: how a node's exception comes back in get_state().tasks[].error and pending writes, per saver."""
import sys, uuid, threading, operator
from typing import TypedDict, Annotated
from langgraph.graph import END, START, StateGraph
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.redis import RedisSaver
from langgraph.checkpoint.postgres import PostgresSaver

class P(TypedDict):
    log: Annotated[list, operator.add]
runs = {"good": 0}
fail = {"on": True}
ev = threading.Event()
def good(s):
    runs["good"] += 1; ev.set(); return {"log": ["good"]}
def bad(s):
    ev.wait(5)
    if fail["on"]:
        raise RuntimeError("bad failed")
    return {"log": ["bad"]}
b = StateGraph(P); b.add_node("good", good); b.add_node("bad", bad); b.add_node("join", lambda s: {"log": ["join"]})
b.add_edge(START, "good"); b.add_edge(START, "bad"); b.add_edge(["good", "bad"], "join"); b.add_edge("join", END)

def run(name, saver):
    runs["good"] = 0; fail["on"] = True; ev.clear()
    app = b.compile(checkpointer=saver)
    cfg = {"configurable": {"thread_id": str(uuid.uuid4())}}
    try:
        app.invoke({"log": []}, cfg)
    except RuntimeError:
        pass
    st = app.get_state(cfg)
    errs = [(t.name, type(t.error).__name__, repr(t.error)[:120]) for t in st.tasks if t.error is not None]
    fail["on"] = False
    out = app.invoke(None, cfg)
    print(f"{name}: task errors={errs}; good ran {runs['good']}x; result={out['log']}")

run("memory", InMemorySaver())
with RedisSaver.from_conn_string(sys.argv[1]) as s:
    s.setup(); run("redis (sync)", s)
with PostgresSaver.from_conn_string(sys.argv[2]) as s:
    s.setup(); run("postgres (sync)", s)
