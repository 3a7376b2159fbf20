"""Standalone: thread ids with '@' or a space and a two-level subgraph namespace ('|') are stored (memory) or refused (objectstorage)?"""
import sys
import tempfile
from pathlib import Path

from langgraph.checkpoint.base import create_checkpoint, empty_checkpoint
from langgraph.checkpoint.memory import InMemorySaver
from langgraph_checkpoint_objectstorage import ObjectStorageSaver

CASES = [("customer@example.com", ""), ("sales pipeline 42", ""), ("t", "child:1|grandchild:2")]


def outcomes(saver):
    out = []
    for thread_id, ns in CASES:
        cfg = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ns}}
        try:
            saver.put(cfg, create_checkpoint(empty_checkpoint(), None, 0), {"source": "loop", "step": 0}, {})
            out.append("stored")
        except ValueError as exc:
            out.append(f"ValueError: {str(exc)[:60]}")
    return out


with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:  # removed however the check ends
    memory, got = outcomes(InMemorySaver()), outcomes(ObjectStorageSaver.from_conn_string(Path(tmp).as_uri()))
    print(f"memory: {memory}\nobjectstorage: {got}")
    ok = memory == ["stored"] * 3 and all(o.startswith("ValueError") for o in got)
    print("CONFIRMED: ObjectStorageSaver refuses these ids and the nested namespace" if ok else "NOT REPRODUCED")
    sys.exit(0 if ok else 1)
