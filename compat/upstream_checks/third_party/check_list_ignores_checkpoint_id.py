"""Standalone: list(config naming a checkpoint_id) returns that checkpoint (memory) or the whole thread (lmdb, objectstorage)?"""
import sys
import tempfile
from pathlib import Path

import lmdb
from langgraph.checkpoint.base import create_checkpoint, empty_checkpoint
from langgraph.checkpoint.memory import InMemorySaver
from langgraph_checkpoint_lmdb import LMDBSaver
from langgraph_checkpoint_objectstorage import ObjectStorageSaver


def listed(saver):
    cfg, cp, saved = {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}, empty_checkpoint(), []
    for step in range(3):
        cp = create_checkpoint(cp, None, step)
        saved.append(cfg := saver.put(cfg, cp, {"source": "loop", "step": step, "parents": {}}, {}))
    return len(list(saver.list(saved[1])))  # saved[1] names the middle checkpoint


memory = listed(InMemorySaver())
with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:  # removed however the check ends
    lm = listed(LMDBSaver(lmdb.open(tempfile.mkdtemp(dir=tmp), max_dbs=4)))
    os_ = listed(ObjectStorageSaver.from_conn_string(Path(tempfile.mkdtemp(dir=tmp)).as_uri()))
    print(f"checkpoints listed: memory {memory}  lmdb {lm}  objectstorage {os_}")
    ok = memory == 1 and lm > 1 and os_ > 1
    print("CONFIRMED: both ignore the checkpoint_id of the config" if ok else "NOT REPRODUCED")
    sys.exit(0 if ok else 1)
