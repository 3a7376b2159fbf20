"""Standalone (found by compat/test_generated.py, shrunk): with threads "P~a:a" and "P~a<TAB>a" both stored,
RedisSaver.list({"thread_id": "P~a<TAB>a"}) without a checkpoint_ns returns nothing, though get_tuple() finds the
checkpoint. InMemorySaver and PostgresSaver list it."""
import sys, uuid
from langgraph.checkpoint.base import empty_checkpoint
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.redis import RedisSaver


def check(name, saver):
    prefix, row = f"r{uuid.uuid4().hex[:6]}~", []
    for tid in ("a:a", "a\ta", "a b", "a\na", "a'a"):
        saver.put({"configurable": {"thread_id": prefix + tid, "checkpoint_ns": ""}}, empty_checkpoint(), {}, {})
    for tid in ("a:a", "a\ta", "a b", "a\na", "a'a"):
        cfg = {"configurable": {"thread_id": prefix + tid}}
        row.append(f"{tid!r}: get={saver.get_tuple(cfg) is not None} list={len(list(saver.list(cfg)))}")
    print(f"{name:9}", ", ".join(row))


check("memory", InMemorySaver())
with PostgresSaver.from_conn_string(sys.argv[2]) as s:
    s.setup(); check("postgres", s)
with RedisSaver.from_conn_string(sys.argv[1]) as s:
    s.setup(); check("redis", s)
