"""Metadata: what a caller puts in config metadata comes back unchanged (nested, non-ASCII, large ints, None)."""

from typing import TypedDict

import pytest
from langgraph.graph import END, START, StateGraph

from parity.judging.observe import tuple_view

META = {"user": "Zoë 李雷 🚀", "nested": {"a": [1, 2, {"b": None}], "empty": {}}, "big": 2**62 + 7,
        "negative": -(2**53) - 1, "ratio": 0.1, "flag": False, "nothing": None, "quote": 'he said "hi" \\ ok'}


class S(TypedDict):
    x: int


async def metadata_round_trip(g) -> None:
    builder = StateGraph(S)
    builder.add_node("inc", lambda s: {"x": s["x"] + 1})
    builder.add_edge(START, "inc")
    builder.add_edge("inc", END)
    app = g.compile(builder)
    cfg = {**g.config("meta"), "metadata": META}
    await g.invoke(app, {"x": 1}, cfg)
    state = await g.get_state(app, g.config("meta"))
    g.trace.add("graph metadata", state.metadata)
    tup = await g.get_tuple(g.config("meta"))
    g.trace.add("saver metadata", tuple_view(tup)["metadata"])
    found = await g.list(g.config("meta"), filter={"user": META["user"]}, limit=1)
    g.trace.add("filter on a non-ASCII user value finds the newest checkpoint", [t.metadata.get("user") for t in found])


@pytest.mark.requires("list_filter", "list_limit")
async def test_metadata_round_trip(parity_cell):
    """Contract: run metadata (nested, non-ASCII, ints beyond 2**53, None, quotes) is stored on the checkpoint and comes back equal; list(filter=) finds it by a non-ASCII value."""
    await parity_cell.check(metadata_round_trip)


async def saver_metadata(g) -> None:
    from langgraph.checkpoint.base import empty_checkpoint

    cp = empty_checkpoint()
    stored = await g.put(g.config("m2", checkpoint_ns=""), cp, {**META, "source": "input", "step": -1}, {})
    tup = await g.get_tuple(stored)
    g.trace.add("put metadata comes back", tup.metadata if tup else None)


async def test_put_metadata_direct(parity_cell):
    """Contract: metadata given to saver.put() is returned by get_tuple() equal, key for key and type for type."""
    await parity_cell.check(saver_metadata)
