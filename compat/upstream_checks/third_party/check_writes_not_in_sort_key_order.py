"""Standalone: get_tuple's pending writes in writes_sort_key order, task path first (memory), or not (lmdb,
objectstorage, plainredis)? Task "a-id" has path "z", task "z-id" path "a"; "a-id" writes first. argv[1]: a Redis URL."""
import sys
import tempfile
from pathlib import Path

import lmdb
from langgraph.checkpoint.base import create_checkpoint, empty_checkpoint
from langgraph.checkpoint.memory import InMemorySaver
from langgraph_checkpoint_lmdb import LMDBSaver
from langgraph_checkpoint_objectstorage import ObjectStorageSaver
from langgraph_checkpoint_plainredis import RedisSaver


def order(saver):
    cfg = {"configurable": {"thread_id": "order-check", "checkpoint_ns": ""}}
    cfg = saver.put(cfg, create_checkpoint(empty_checkpoint(), None, 0), {"source": "loop", "step": 0}, {})
    saver.put_writes(cfg, [("log", "path z")], "a-id", "z")  # by task id or as saved, this one comes first
    saver.put_writes(cfg, [("log", "path a")], "z-id", "a")  # by writes_sort_key (task_path first), this one
    return [value for _, _, value in saver.get_tuple(cfg).pending_writes]


with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:  # removed however the check ends
    got = {"memory": order(InMemorySaver()), "lmdb": order(LMDBSaver(lmdb.open(f"{tmp}/lmdb", max_dbs=4))),
           "objectstorage": order(ObjectStorageSaver.from_conn_string(Path(tempfile.mkdtemp(dir=tmp)).as_uri())),
           "plainredis": order(RedisSaver(url=sys.argv[1], prefix=f"order-check-{Path(tmp).name}"))}
    print("\n".join(f"{name}: {values}" for name, values in got.items()))
    ok = got["memory"] == ["path a", "path z"] and all(v == ["path z", "path a"] for k, v in got.items() if k != "memory")
    print("CONFIRMED: lmdb, objectstorage and plainredis ignore the task path" if ok else "NOT REPRODUCED")
    sys.exit(0 if ok else 1)
