"""Standalone: list() with no checkpoint_ns lists every namespace (memory) or the root one only (lmdb, objectstorage)?"""
import sys
import tempfile
from pathlib import Path

import lmdb
from langgraph.checkpoint.base import create_checkpoint, empty_checkpoint
from langgraph.checkpoint.memory import InMemorySaver
from langgraph_checkpoint_lmdb import LMDBSaver
from langgraph_checkpoint_objectstorage import ObjectStorageSaver


def namespaces(saver):
    for ns in ("", "child:1"):  # a subgraph's checkpoints live under checkpoint_ns "child:<task id>"
        cfg = {"configurable": {"thread_id": "t", "checkpoint_ns": ns}}
        saver.put(cfg, create_checkpoint(empty_checkpoint(), None, 0), {"source": "loop", "step": 0}, {})
    return sorted(t.config["configurable"]["checkpoint_ns"] for t in saver.list({"configurable": {"thread_id": "t"}}))


memory = namespaces(InMemorySaver())
with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:  # removed however the check ends
    lm = namespaces(LMDBSaver(lmdb.open(tempfile.mkdtemp(dir=tmp), max_dbs=4)))
    os_ = namespaces(ObjectStorageSaver.from_conn_string(Path(tempfile.mkdtemp(dir=tmp)).as_uri()))
    print(f"memory: {memory}  lmdb: {lm}  objectstorage: {os_}")
    ok = memory == ["", "child:1"] and lm == [""] and os_ == [""]
    print("CONFIRMED: both list the root namespace only" if ok else "NOT REPRODUCED")
    sys.exit(0 if ok else 1)
