"""Standalone: list(filter={"step": 1}) returns only matching checkpoints (memory) or all of them (lmdb)?"""
import sys
import tempfile

import lmdb
from langgraph.checkpoint.base import create_checkpoint, empty_checkpoint
from langgraph.checkpoint.memory import InMemorySaver
from langgraph_checkpoint_lmdb import LMDBSaver


def steps(saver):
    cfg = {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}
    cp = empty_checkpoint()
    for step in range(3):
        cp = create_checkpoint(cp, None, step)
        cfg = saver.put(cfg, cp, {"source": "loop", "step": step, "parents": {}}, {})
    return [t.metadata["step"] for t in saver.list(cfg | {"configurable": {"thread_id": "t"}}, filter={"step": 1})]


memory = steps(InMemorySaver())
with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:  # removed however the check ends
    got = steps(LMDBSaver(lmdb.open(tempfile.mkdtemp(dir=tmp), max_dbs=4)))
    print(f"memory: {memory}  lmdb: {got}")
    ok = memory == [1] and got != memory
    print("CONFIRMED: LMDBSaver.list ignores filter" if ok else "NOT REPRODUCED")
    sys.exit(0 if ok else 1)
