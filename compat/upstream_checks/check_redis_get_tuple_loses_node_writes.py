"""Standalone: after a graph run, does get_tuple(checkpoint_id) return the pending writes that list() returns?

LangGraph rebuilds a DeltaChannel (langgraph 1.2) by walking get_tuple + parent_config and collecting each ancestor's
pending writes (BaseCheckpointSaver.get_delta_channel_history, which RedisSaver does not override). RedisSaver's
get_tuple loads a checkpoint's writes only when the checkpoint document's has_writes flag is set; list() reads the
writes either way. Per durability mode, the checkpoints whose writes get_tuple leaves out, and the flag on them.
LangGraph's own tests that see this: test_delta_channel_fork.py, test_delta_channel_update_state.py (forks and
update_state on a delta channel lose a node's write on Redis only).
"""
import sys
import uuid
from operator import add
from typing import Annotated

from typing_extensions import TypedDict

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.redis import RedisSaver
from langgraph.graph import StateGraph


class S(TypedDict):
    log: Annotated[list, add]


def build(saver):
    b = StateGraph(S)
    b.add_node("n", lambda s: {"log": ["node-out"]})
    b.set_entry_point("n")
    b.set_finish_point("n")
    return b.compile(checkpointer=saver)


def run(name, saver, flag=None):
    for durability in ("async", "sync", "exit"):
        cfg = {"configurable": {"thread_id": str(uuid.uuid4())}}
        build(saver).invoke({"log": ["in"]}, cfg, durability=durability)
        lost = []
        for listed in list(saver.list(cfg)):  # read whole first: PostgresSaver holds its connection while listing
            by_id = saver.get_tuple(listed.config)
            if len(by_id.pending_writes or []) != len(listed.pending_writes or []):
                step = listed.metadata.get("step")
                lost.append(f"step {step}: list {len(listed.pending_writes)} writes, get_tuple "
                            f"{len(by_id.pending_writes or [])}" + (f", has_writes={flag(listed.config)}" if flag else ""))
        print(f"{name} durability={durability}: " + ("; ".join(lost) if lost else "get_tuple returns every write"))


run("memory  ", InMemorySaver())
with RedisSaver.from_conn_string(sys.argv[1]) as s:
    s.setup()

    def has_writes(config):
        c = config["configurable"]
        key = s._make_redis_checkpoint_key_cached(c["thread_id"], c["checkpoint_ns"], c["checkpoint_id"])
        return s._redis.json().get(key, "$.has_writes")

    run("redis   ", s, has_writes)
with PostgresSaver.from_conn_string(sys.argv[2]) as s:
    s.setup()
    run("postgres", s)
