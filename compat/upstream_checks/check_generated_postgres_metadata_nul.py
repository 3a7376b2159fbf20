"""Standalone (found by compat/test_generated.py's saver-API machine): PostgresSaver.put raises
UntranslatableCharacter when checkpoint metadata holds a NUL anywhere but in a top-level string value (nested in a
list or dict, or in a key); InMemorySaver and SqliteSaver store and return it. (LangGraph's get_checkpoint_metadata
strips NUL from top-level string values only.) Expected: no row says raised."""
import sys, uuid
from langgraph.checkpoint.base import empty_checkpoint
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.sqlite import SqliteSaver


def check(name, saver):
    for meta in ({"tags": ["a\x00b"]}, {"n": {"k": "\x00"}}, {"k\x00": 1}):
        try:
            cfg = saver.put({"configurable": {"thread_id": str(uuid.uuid4()), "checkpoint_ns": ""}}, empty_checkpoint(), meta, {})
            print(f"{name:9} {meta!r:22} -> {saver.get_tuple(cfg).metadata!r}")
        except Exception as exc:
            print(f"{name:9} {meta!r:22} raised {type(exc).__name__}")


check("memory", InMemorySaver())
with PostgresSaver.from_conn_string(sys.argv[2]) as s:
    s.setup(); check("postgres", s)
with SqliteSaver.from_conn_string(":memory:") as s:
    check("sqlite", s)
