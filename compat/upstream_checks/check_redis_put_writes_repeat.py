"""Standalone: put_writes twice for the same task and idx: first write kept (memory, Postgres) or replaced (Redis)?"""
import sys
from langgraph.checkpoint.base import create_checkpoint, empty_checkpoint
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.redis import RedisSaver


def run(name, saver):
    cfg = saver.put({"configurable": {"thread_id": "w1", "checkpoint_ns": ""}},
                    create_checkpoint(empty_checkpoint(), None, 0), {"source": "loop", "step": 0, "parents": {}}, {})
    saver.put_writes(cfg, [("log", "first")], "task-a")
    saver.put_writes(cfg, [("log", "again")], "task-a")
    print(f"{name}: pending writes {saver.get_tuple(cfg).pending_writes}")


run("memory  ", InMemorySaver())
with RedisSaver.from_conn_string(sys.argv[1]) as s:
    s.setup()
    run("redis   ", s)
with PostgresSaver.from_conn_string(sys.argv[2]) as s:
    s.setup()
    run("postgres", s)
