"""Standalone (found by compat/test_generated.py): a bytearray channel value comes back as bytes from the Redis
and SQLite savers; InMemorySaver and PostgresSaver return a bytearray (JsonPlusSerializer keeps it)."""
import sys, uuid
from langgraph.checkpoint.base import empty_checkpoint
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.redis import RedisSaver, ShallowRedisSaver
from langgraph.checkpoint.sqlite import SqliteSaver


def check(name, saver):
    cp = empty_checkpoint()
    cp["channel_values"], cp["channel_versions"] = {"blob": bytearray(b"ab")}, {"blob": f"{1:032}.0"}
    cfg = saver.put({"configurable": {"thread_id": str(uuid.uuid4()), "checkpoint_ns": ""}}, cp, {}, {"blob": f"{1:032}.0"})
    got = saver.get_tuple(cfg).checkpoint["channel_values"]["blob"]
    print(f"{name:14} {type(got).__name__:10} {got!r}")


check("memory", InMemorySaver())
with PostgresSaver.from_conn_string(sys.argv[2]) as s:
    s.setup(); check("postgres", s)
with RedisSaver.from_conn_string(sys.argv[1]) as s:
    s.setup(); check("redis", s)
with ShallowRedisSaver.from_conn_string(sys.argv[1]) as s:
    s.setup(); check("redis-shallow", s)
with SqliteSaver.from_conn_string(":memory:") as s:
    check("sqlite", s)
