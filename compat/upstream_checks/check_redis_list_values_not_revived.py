"""Standalone: does list() return a checkpoint's typed channel values as get_tuple does?

RedisSaver's get_tuple revives the markers its JSON storage writes for LangGraph's types; its list() path (the channel
values inline in the FT.SEARCH result) returns them raw: a DeltaChannel snapshot (`_DeltaSnapshot`, langgraph 1.2) as
{'__delta_snapshot__': True, 'value': [...]} with messages inside as constructor dicts, a pending Send packet as
{'__send__': True, ...}, a Command as a constructor dict. get_state_history reads list(). LangGraph's own tests that
see this: test_delta_channel_to_plain.py (no snapshot found in list()), test_delta_channel_exit_mode.py (the history
shows the marker dict as a channel's value), test_large_cases.py::test_send_dedupe_on_resume (a history entry misses
its Send tasks in `next`), test_pregel.py::test_fork_and_update_task_results.
"""
import sys

from langchain_core.messages import HumanMessage

from langgraph.checkpoint.base import empty_checkpoint
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.redis import RedisSaver
from langgraph.checkpoint.serde.types import _DeltaSnapshot
from langgraph.types import Command, Send

VALUES = {"delta": _DeltaSnapshot(["a", "b"]), "delta_msgs": _DeltaSnapshot([HumanMessage("hi")]),
          "__pregel_tasks": [Send("worker", 1)], "cmd": [Command(goto=Send("x", 3))]}


def run(name, saver):
    ck = empty_checkpoint()
    ck["channel_values"] = dict(VALUES)
    ck["channel_versions"] = {k: "1" for k in VALUES}
    cfg = saver.put({"configurable": {"thread_id": "values-1", "checkpoint_ns": ""}}, ck,
                    {"source": "loop", "step": 0, "parents": {}}, {k: "1" for k in VALUES})
    by_id = saver.get_tuple(cfg).checkpoint["channel_values"]
    listed = list(saver.list({"configurable": {"thread_id": "values-1"}}))[0].checkpoint["channel_values"]
    for k in VALUES:
        same = by_id.get(k) == listed.get(k) and type(by_id.get(k)) is type(listed.get(k))
        print(f"{name}: {k}: get_tuple {repr(by_id.get(k))[:50]}; list " + ("the same" if same else
                                                                             repr(listed.get(k))[:90]))


run("memory  ", InMemorySaver())
with RedisSaver.from_conn_string(sys.argv[1]) as s:
    s.setup()
    run("redis   ", s)
with PostgresSaver.from_conn_string(sys.argv[2]) as s:
    s.setup()
    run("postgres", s)
