"""Standalone: a thread copied from PostgresSaver (string channel versions) goes on in memory and on langgraph's
RedisSaver, but not on plainredis (BaseCheckpointSaver.get_next_version raises NotImplementedError on a str)?
argv: a Redis URL, a Postgres URL."""
import sys
from typing import TypedDict

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.redis import RedisSaver
from langgraph.graph import END, START, StateGraph
from langgraph_checkpoint_plainredis import RedisSaver as PlainRedis

g = StateGraph(TypedDict("S", {"n": int})).add_node("inc", lambda s: {"n": s["n"] + 1})
g = g.add_edge(START, "inc").add_edge("inc", END)
cfg, got = {"configurable": {"thread_id": "postgres-copy-check", "checkpoint_ns": ""}}, {}
with PostgresSaver.from_conn_string(sys.argv[2]) as pg, RedisSaver.from_conn_string(sys.argv[1]) as redis:
    pg.setup(), redis.setup()
    g.compile(checkpointer=pg).invoke({"n": 0}, cfg)  # the thread, written by PostgresSaver
    tup = pg.get_tuple(cfg)
    print(f"PostgresSaver's channel_versions: {tup.checkpoint['channel_versions']}")
    for name, saver in (("memory", InMemorySaver()), ("redis", redis), ("plainredis", PlainRedis(url=sys.argv[1]))):
        saver.put(cfg, tup.checkpoint, tup.metadata, tup.checkpoint["channel_versions"])  # the copy: the saver API only
        try:  # go on with the thread: pregel asks the saver's get_next_version(the greatest version) for new writes
            got[name] = g.compile(checkpointer=saver).invoke({"n": 10}, cfg)
        except Exception as exc:
            got[name] = f"{type(exc).__name__}: {exc}"
        print(f"{name:>10} ({type(saver).get_next_version.__qualname__}): {got[name]!r}")
ok = got["memory"] == got["redis"] == {"n": 11} and str(got["plainredis"]).startswith("NotImplementedError")
print("CONFIRMED: plainredis cannot go on from PostgresSaver's string versions" if ok else "NOT REPRODUCED")
sys.exit(0 if ok else 1)
