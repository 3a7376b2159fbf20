"""Standalone (found by compat/test_generated.py's graph-operations machine, graph state values 7.036890746412971e+16
and Level.LOW): a float channel value that is a whole number >= 1e16 comes back from (Async)PostgresSaver as an int
(1e300 as a 301-digit int), an IntEnum channel value as a plain int; InMemorySaver and SqliteSaver return them as
put. Top-level primitive channel values (isinstance str/int/float/bool) are inlined into the checkpoint's JSONB:
Postgres renders such a float without a decimal point, and JSON has no IntEnum. Nested values (serialized as
blobs) keep their type. Metadata is JSONB too: a whole float >= 1e16 anywhere in it comes back as an int (found by
the saver-API machine). Expected: every row says float, float, float, float, Level, [float] | metadata [float]."""
import enum, sys, uuid
from langgraph.checkpoint.base import empty_checkpoint
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.sqlite import SqliteSaver

Level = enum.IntEnum("Level", [("LOW", 1)])
VALUES = {"a": 7.036890746412971e+16, "b": 1e16, "c": 1e300, "below": 9007199254740994.0, "level": Level.LOW,
          "nested": [1e16]}


def check(name, saver):
    cp = empty_checkpoint()
    cp["channel_values"], cp["channel_versions"] = dict(VALUES), {k: f"{1:032}.0" for k in VALUES}
    cfg = saver.put({"configurable": {"thread_id": str(uuid.uuid4()), "checkpoint_ns": ""}}, cp, {"n": [4.3e16]},
                    dict(cp["channel_versions"]))
    tup = saver.get_tuple(cfg)
    got = tup.checkpoint["channel_values"]
    print(f"{name:9}", {k: type(v).__name__ if k != "nested" else [type(x).__name__ for x in v] for k, v in got.items()},
          "| metadata", [type(x).__name__ for x in tup.metadata["n"]])


check("memory", InMemorySaver())
with PostgresSaver.from_conn_string(sys.argv[2]) as s:
    s.setup(); check("postgres", s)
with SqliteSaver.from_conn_string(":memory:") as s:
    check("sqlite", s)
