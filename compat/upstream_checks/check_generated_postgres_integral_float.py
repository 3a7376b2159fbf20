"""Standalone (found by compat/test_generated.py's graph-operations machine, a graph state value 7.036890746412971e+16):
a float channel value that is a whole number >= 1e16 comes back from (Async)PostgresSaver as an int (1e300 as a
301-digit int); InMemorySaver and SqliteSaver return the float. Top-level primitive channel values are inlined into
the checkpoint's JSONB, and Postgres renders such a number without a decimal point or exponent; nested floats
(serialized as blobs) keep their type. Expected: every row says float."""
import sys, uuid
from langgraph.checkpoint.base import empty_checkpoint
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.sqlite import SqliteSaver

VALUES = {"a": 7.036890746412971e+16, "b": 1e16, "c": 1e300, "below": 9007199254740994.0, "nested": [1e16]}


def check(name, saver):
    cp = empty_checkpoint()
    cp["channel_values"], cp["channel_versions"] = dict(VALUES), {k: f"{1:032}.0" for k in VALUES}
    cfg = saver.put({"configurable": {"thread_id": str(uuid.uuid4()), "checkpoint_ns": ""}}, cp, {}, dict(cp["channel_versions"]))
    got = saver.get_tuple(cfg).checkpoint["channel_values"]
    print(f"{name:9}", {k: type(v).__name__ if k != "nested" else [type(x).__name__ for x in v] for k, v in got.items()})


check("memory", InMemorySaver())
with PostgresSaver.from_conn_string(sys.argv[2]) as s:
    s.setup(); check("postgres", s)
with SqliteSaver.from_conn_string(":memory:") as s:
    check("sqlite", s)
