"""Standalone: is an Interrupt's response_schema (langgraph 1.2's `interrupt(..., response_schema=...)`) kept when the
interrupt is stored as a pending write and read back?

LangGraph's own test that sees this: test_interruption.py::test_interrupt_response_schema (get_state's
tasks[0].interrupts lose the schema on Redis only, for every schema kind).
"""
import sys

from langgraph.checkpoint.base import create_checkpoint, empty_checkpoint
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.redis import RedisSaver
from langgraph.types import Interrupt

SCHEMA = {"type": "object", "properties": {"approved": {"type": "boolean"}}}


def run(name, saver):
    cfg = saver.put({"configurable": {"thread_id": "schema-1", "checkpoint_ns": ""}},
                    create_checkpoint(empty_checkpoint(), None, 0), {"source": "loop", "step": 0, "parents": {}}, {})
    saver.put_writes(cfg, [("__interrupt__", [Interrupt(value="approve?", id="i-1", response_schema=SCHEMA)])],
                     "task-1")
    [(_, _, [back])] = saver.get_tuple(cfg).pending_writes
    print(f"{name}: {type(back).__name__} response_schema={getattr(back, 'response_schema', 'MISSING')!r}")


run("memory  ", InMemorySaver())
with RedisSaver.from_conn_string(sys.argv[1]) as s:
    s.setup()
    run("redis   ", s)
with PostgresSaver.from_conn_string(sys.argv[2]) as s:
    s.setup()
    run("postgres", s)
