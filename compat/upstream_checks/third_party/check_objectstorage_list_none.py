"""Standalone: list(None) lists every thread (memory) or raises TypeError (objectstorage)?"""
import sys
import tempfile
from pathlib import Path

from langgraph.checkpoint.base import create_checkpoint, empty_checkpoint
from langgraph.checkpoint.memory import InMemorySaver
from langgraph_checkpoint_objectstorage import ObjectStorageSaver


def all_threads(saver):
    for thread_id in ("a", "b"):
        cfg = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
        saver.put(cfg, create_checkpoint(empty_checkpoint(), None, 0), {"source": "loop", "step": 0}, {})
    try:
        return sorted(t.config["configurable"]["thread_id"] for t in saver.list(None))
    except TypeError as exc:
        return f"TypeError: {exc}"


with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:  # removed however the check ends
    memory, got = all_threads(InMemorySaver()), all_threads(ObjectStorageSaver.from_conn_string(Path(tmp).as_uri()))
    print(f"memory: {memory}  objectstorage: {got}")
    ok = memory == ["a", "b"] and str(got).startswith("TypeError")
    print("CONFIRMED: ObjectStorageSaver.list(None) raises TypeError" if ok else "NOT REPRODUCED")
    sys.exit(0 if ok else 1)
