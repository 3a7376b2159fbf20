"""Standalone: in which order does get_tuple return a checkpoint's pending writes from two tasks?

LangGraph (langgraph-checkpoint 4.3, `writes_sort_key`) replays a super-step's stored writes in (task_path, task_id,
idx) order, the order live execution applied them; BaseCheckpointSaver.get_delta_channel_history (which RedisSaver
does not override) takes get_tuple's pending_writes as they come. Task "task-z" has path ~a, "task-a" has path ~b:
by writes_sort_key ~a's write comes first, by task id or by arrival ~b's does. LangGraph's own tests that see this:
test_delta_channel_exit_mode.py::test_resume_interleaves_the_resumed_superstep_by_task_path and the parallel-order ones.
"""
import sys

from langgraph.checkpoint.base import create_checkpoint, empty_checkpoint
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.redis import RedisSaver


def run(name, saver):
    cfg = saver.put({"configurable": {"thread_id": "order-1", "checkpoint_ns": ""}},
                    create_checkpoint(empty_checkpoint(), None, 0), {"source": "loop", "step": 0, "parents": {}}, {})
    # task ids sort the other way round from their paths: only a (task_path, ...) order puts path ~a first
    saver.put_writes(cfg, [("log", "from path ~b")], "task-a", task_path="~b")
    saver.put_writes(cfg, [("log", "from path ~a")], "task-z", task_path="~a")
    got = [w[2] for w in saver.get_tuple(cfg).pending_writes]
    print(f"{name}: pending writes {got} -> {'by task_path' if got == ['from path ~a', 'from path ~b'] else 'NOT by task_path'}")


run("memory  ", InMemorySaver())
with RedisSaver.from_conn_string(sys.argv[1]) as s:
    s.setup()
    run("redis   ", s)
with PostgresSaver.from_conn_string(sys.argv[2]) as s:
    s.setup()
    run("postgres", s)
