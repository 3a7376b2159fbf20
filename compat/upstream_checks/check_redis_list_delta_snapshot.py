"""Standalone: does list() return a DeltaChannel's stored snapshot as get_tuple does?

langgraph 1.2's DeltaChannel stores a snapshot of its value now and then as a `_DeltaSnapshot` channel value; readers
(get_state_history, a plain reducer reading a delta-written thread) find it by type. RedisSaver's get_tuple revives it;
its list() returns the raw marker dict {'__delta_snapshot__': True, 'value': [...]}, with the messages inside still as
LangChain constructor dicts. LangGraph's own tests that see this: test_delta_channel_to_plain.py (no snapshot found in
list()) and, in test_delta_channel_exit_mode.py (the history shows the marker dict as the channel's value):
test_exit_runs_from_a_checkpoint_the_thread_moved_past_leave_its_newer_branch_alone.
"""
import sys

from langchain_core.messages import HumanMessage

from langgraph.checkpoint.base import empty_checkpoint
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.redis import RedisSaver
from langgraph.checkpoint.serde.types import _DeltaSnapshot


def run(name, saver):
    ck = empty_checkpoint()
    ck["channel_values"] = {"plain": _DeltaSnapshot(["a", "b"]), "msgs": _DeltaSnapshot([HumanMessage("hi")])}
    ck["channel_versions"] = {"plain": "1", "msgs": "1"}
    cfg = saver.put({"configurable": {"thread_id": "delta-1", "checkpoint_ns": ""}}, ck,
                    {"source": "loop", "step": 0, "parents": {}}, {"plain": "1", "msgs": "1"})
    by_id = saver.get_tuple(cfg).checkpoint["channel_values"]
    listed = list(saver.list({"configurable": {"thread_id": "delta-1"}}))[0].checkpoint["channel_values"]
    for k in ("plain", "msgs"):
        print(f"{name}: {k}: get_tuple {type(by_id.get(k)).__name__}, list {type(listed.get(k)).__name__}"
              + ("" if isinstance(listed.get(k), _DeltaSnapshot) else f" {repr(listed.get(k))[:90]}"))


run("memory  ", InMemorySaver())
with RedisSaver.from_conn_string(sys.argv[1]) as s:
    s.setup()
    run("redis   ", s)
with PostgresSaver.from_conn_string(sys.argv[2]) as s:
    s.setup()
    run("postgres", s)
