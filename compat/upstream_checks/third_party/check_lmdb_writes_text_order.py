"""Standalone: 12 pending writes of one task to one channel come back in index order (memory) or as text (lmdb)?"""
import sys
import tempfile

import lmdb
from langgraph.checkpoint.base import create_checkpoint, empty_checkpoint
from langgraph.checkpoint.memory import InMemorySaver
from langgraph_checkpoint_lmdb import LMDBSaver


def order(saver):
    cfg = {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}
    cfg = saver.put(cfg, create_checkpoint(empty_checkpoint(), None, 0), {"source": "loop", "step": 0}, {})
    saver.put_writes(cfg, [("log", i) for i in range(12)], "task-1")  # one task writes "log" 12 times
    return [value for _, _, value in saver.get_tuple(cfg).pending_writes]


memory = order(InMemorySaver())
with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:  # removed however the check ends
    got = order(LMDBSaver(lmdb.open(tempfile.mkdtemp(dir=tmp), max_dbs=4)))
    print(f"memory: {memory}\nlmdb:   {got}")
    ok = memory == list(range(12)) and got != memory and sorted(got) == memory
    print("CONFIRMED: LMDBSaver returns one task's writes in text order of their index" if ok else "NOT REPRODUCED")
    sys.exit(0 if ok else 1)
