"""Standalone: put_writes twice for one task and index keeps the first write (memory) or the second (lmdb)?"""
import sys
import tempfile

import lmdb
from langgraph.checkpoint.base import create_checkpoint, empty_checkpoint
from langgraph.checkpoint.memory import InMemorySaver
from langgraph_checkpoint_lmdb import LMDBSaver


def kept(saver):
    cfg = {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}
    cfg = saver.put(cfg, create_checkpoint(empty_checkpoint(), None, 0), {"source": "loop", "step": 0}, {})
    saver.put_writes(cfg, [("log", "first")], "task-a")
    saver.put_writes(cfg, [("log", "again")], "task-a")  # a retried task: LangGraph writes the same idx again
    return [value for _, _, value in saver.get_tuple(cfg).pending_writes]


memory = kept(InMemorySaver())
with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:  # removed however the check ends
    got = kept(LMDBSaver(lmdb.open(tempfile.mkdtemp(dir=tmp), max_dbs=4)))
    print(f"memory: {memory}  lmdb: {got}")
    ok = memory == ["first"] and got == ["again"]
    print("CONFIRMED: LMDBSaver replaces a task's earlier write of the same index" if ok else "NOT REPRODUCED")
    sys.exit(0 if ok else 1)
