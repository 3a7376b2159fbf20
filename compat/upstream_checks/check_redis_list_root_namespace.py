"""Standalone: does list() with checkpoint_ns="" return the root graph's checkpoints only?

"" is the root graph's namespace, not "any namespace": InMemorySaver and PostgresSaver filter on it whenever the key is
given (`is not None`), and LangGraph's get_state_history always gives it. RedisSaver.list() tests it for truth
(`if checkpoint_ns := ...`), so "" adds no filter and a parent's history comes back with every subgraph's checkpoints
in it (a stateful subgraph's, an interrupted child's). LangGraph's own tests that see this: test_pregel.py
test_subgraph_checkpoint_true and test_debug_subgraphs (history longer than the stream's checkpoints), test_large_cases
test_nested_graph_state, test_time_travel.py (a replay picks a subgraph's checkpoint out of the parent's history).
"""
import sys
import uuid

from typing_extensions import TypedDict

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.redis import RedisSaver
from langgraph.graph import END, START, StateGraph


class S(TypedDict):
    text: str


def build(saver):
    child = StateGraph(S)
    child.add_node("draft", lambda s: {"text": s["text"] + " d"})
    child.add_edge(START, "draft")
    child.add_edge("draft", END)
    parent = StateGraph(S)
    parent.add_node("child", child.compile(checkpointer=True))  # a stateful subgraph keeps its own checkpoints
    parent.add_edge(START, "child")
    parent.add_edge("child", END)
    return parent.compile(checkpointer=saver)


def run(name, saver):
    cfg = {"configurable": {"thread_id": str(uuid.uuid4())}}
    build(saver).invoke({"text": "x"}, cfg)
    root = list(saver.list({"configurable": {**cfg["configurable"], "checkpoint_ns": ""}}))
    every = list(saver.list(cfg))
    others = sorted({t.config["configurable"]["checkpoint_ns"].split(":")[0] for t in root} - {""})
    history = list(build(saver).get_state_history(cfg))
    print(f"{name}: list(checkpoint_ns='') {len(root)} checkpoints" + (f", with namespaces {others}" if others else
          ", root only") + f"; list() without the key {len(every)}; get_state_history {len(history)}")


run("memory  ", InMemorySaver())
with RedisSaver.from_conn_string(sys.argv[1]) as s:
    s.setup()
    run("redis   ", s)
with PostgresSaver.from_conn_string(sys.argv[2]) as s:
    s.setup()
    run("postgres", s)
