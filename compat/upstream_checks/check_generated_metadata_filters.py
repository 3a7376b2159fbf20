"""Standalone (found by compat/test_generated.py): list(filter=...) on a key whose value is None or whose name
is not ASCII. InMemorySaver matches {"user": None} for a checkpoint without "user" and accepts any key;
PostgresSaver matches only an explicit null and raises on a NUL inside a filter key, RedisSaver raises on None,
SqliteSaver raises on a non-ASCII key."""
import sys, uuid
from langgraph.checkpoint.base import empty_checkpoint
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.redis import RedisSaver
from langgraph.checkpoint.sqlite import SqliteSaver


def check(name, saver):
    cfg = {"configurable": {"thread_id": str(uuid.uuid4()), "checkpoint_ns": ""}}
    parent = saver.put(cfg, empty_checkpoint(), {"user": None, "ü": 1}, {})
    saver.put(parent, empty_checkpoint(), {}, {})
    row = []
    for flt in ({"user": None}, {"ü": 1}, {"user": {"a\x00": None}}):
        try:
            row.append(f"{flt}: {len(list(saver.list(cfg, filter=flt)))} of 2")
        except Exception as exc:
            row.append(f"{flt}: raised {type(exc).__name__}")
    print(f"{name:9}", ", ".join(row))


check("memory", InMemorySaver())
with PostgresSaver.from_conn_string(sys.argv[2]) as s:
    s.setup(); check("postgres", s)
with RedisSaver.from_conn_string(sys.argv[1]) as s:
    s.setup(); check("redis", s)
with SqliteSaver.from_conn_string(":memory:") as s:
    check("sqlite", s)
