"""Standalone: metadata given with the run (config["metadata"]) is saved with the checkpoint (memory) or lost (lmdb)?"""
import sys
import tempfile
from typing import TypedDict
import lmdb
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph_checkpoint_lmdb import LMDBSaver


class S(TypedDict):
    n: int


def saved_user(saver):
    g = StateGraph(S)
    g.add_node("inc", lambda s: {"n": s["n"] + 1})
    g.add_edge(START, "inc")
    g.add_edge("inc", END)
    cfg = {"configurable": {"thread_id": "t"}, "metadata": {"user": "Zoë"}}
    g.compile(checkpointer=saver).invoke({"n": 0}, cfg)
    return saver.get_tuple({"configurable": {"thread_id": "t", "checkpoint_ns": ""}}).metadata.get("user")


with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:  # removed however the check ends
    memory, got = saved_user(InMemorySaver()), saved_user(LMDBSaver(lmdb.open(tmp, max_dbs=4)))
    print(f"metadata user: memory {memory!r}  lmdb {got!r}")
    ok = memory == "Zoë" and got is None
    print("CONFIRMED: LMDBSaver drops the run's metadata" if ok else "NOT REPRODUCED")
    sys.exit(0 if ok else 1)
