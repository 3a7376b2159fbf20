"""Standalone (found by compat/test_generated.py): NaN / inf / -0.0 as channel values, top-level and nested.
InMemorySaver returns them as put; PostgresSaver.put raises for a top-level inf (primitive channel values
are inlined into the checkpoint's JSONB), RedisSaver and AsyncRedisSaver return NaN and ±inf as None (JSON)."""
import asyncio, math, sys, uuid
from langgraph.checkpoint.base import empty_checkpoint
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.redis import AsyncRedisSaver, RedisSaver
from langgraph.checkpoint.sqlite import SqliteSaver

VALUES = {"top_inf": math.inf, "top_nan": math.nan, "top_negzero": -0.0, "nested": [math.nan, math.inf, -0.0]}


def checkpoint():
    cp = empty_checkpoint()
    cp["channel_values"] = dict(VALUES)
    cp["channel_versions"] = {k: f"{1:032}.0" for k in VALUES}
    return cp, {"configurable": {"thread_id": str(uuid.uuid4()), "checkpoint_ns": ""}}


def show(name, put, get):
    cp, cfg = checkpoint()
    try:
        print(f"{name:12}", get(put(cfg, cp, {}, dict(cp["channel_versions"]))).checkpoint["channel_values"])
    except Exception as exc:
        print(f"{name:12} put/get raised {type(exc).__name__}: {str(exc)[:100]}")


async def main():
    for name, saver in (("memory", InMemorySaver()),):
        show(name, saver.put, saver.get_tuple)
    with PostgresSaver.from_conn_string(sys.argv[2]) as s:
        s.setup(); show("postgres", s.put, s.get_tuple)
    with RedisSaver.from_conn_string(sys.argv[1]) as s:
        s.setup(); show("redis", s.put, s.get_tuple)
    with SqliteSaver.from_conn_string(":memory:") as s:
        show("sqlite", s.put, s.get_tuple)
    async with AsyncRedisSaver.from_conn_string(sys.argv[1]) as s:
        await s.asetup(); cp, cfg = checkpoint()
        stored = await s.aput(cfg, cp, {}, dict(cp["channel_versions"]))
        print(f"{'redis async':12}", (await s.aget_tuple(stored)).checkpoint["channel_values"])

asyncio.run(main())
