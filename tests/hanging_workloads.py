"""Workloads whose node hangs (sync: time.sleep, async: asyncio.sleep) on every saver but the reference."""

import asyncio
import time
from typing import TypedDict

from langchain_core.runnables import RunnableLambda
from langgraph.graph import END, START, StateGraph

from parity.workloads import Workload, get_state, invoke

HANG_S = 60.0  # far past any --parity-timeout the tests give: a cell that "passes" sat through all of it


class S(TypedDict):
    n: int


def _build(checkpointer, node_kind: str):
    hang = type(checkpointer).__name__ != "InMemorySaver"  # the reference preflight must pass

    def node(state):
        if hang:
            time.sleep(HANG_S)
        return {"n": state["n"] + 1}

    async def anode(state):
        if hang:
            await asyncio.sleep(HANG_S)
        return {"n": state["n"] + 1}

    g = StateGraph(S)
    # sync_hang: a plain function (in an async graph it runs in the loop's executor thread);
    # async_hang: the async flavour awaits anode, the sync flavour calls node.
    g.add_node("inc", node if node_kind == "sync" else RunnableLambda(node, afunc=anode))
    g.add_edge(START, "inc")
    g.add_edge("inc", END)
    return g.compile(checkpointer=checkpointer)


sync_hang = Workload(name="sync_hang", build=lambda c: _build(c, "sync"), steps=[invoke({"n": 1})])
async_hang = Workload(name="async_hang", build=lambda c: _build(c, "async"), steps=[invoke({"n": 1})])


def _stamped(checkpointer):
    import uuid
    from datetime import datetime, timezone

    class T(TypedDict):
        n: int
        ticket: dict

    def node(state):
        return {"n": state["n"] + 1, "ticket": {"ref": f"T-{uuid.uuid4().hex[:8]}",
                                                 "created_at": datetime.now(timezone.utc).isoformat()}}

    g = StateGraph(T)
    g.add_node("stamp", node)
    g.add_edge(START, "stamp")
    g.add_edge("stamp", END)
    return g.compile(checkpointer=checkpointer)


# Not hanging: a graph that stores a random reference and a timestamp, so it differs between any two runs.
stamped = Workload(name="stamped", build=_stamped, steps=[invoke({"n": 1, "ticket": {}})])
stamped_ignored = Workload(name="stamped_ignored", build=_stamped, steps=[invoke({"n": 1, "ticket": {}})],
                           ignore=["values.ticket.ref", "values.ticket.created_at"])


def _plain(checkpointer):
    g = StateGraph(S)
    g.add_node("inc", lambda state: {"n": state["n"] + 1})
    g.add_edge(START, "inc")
    g.add_edge("inc", END)
    return g.compile(checkpointer=checkpointer)


# No history step: a get_state after a run, which a shallow saver answers without a parent link by design.
plain_state = Workload(name="plain_state", build=_plain, steps=[invoke({"n": 1}), get_state()])


def _raises_two_lines(checkpointer):
    def node(state):
        raise ValueError("first line\nsecond line")

    g = StateGraph(S)
    g.add_node("boom", node)
    g.add_edge(START, "boom")
    g.add_edge("boom", END)
    return g.compile(checkpointer=checkpointer)


raises_two_lines = Workload(name="raises_two_lines", build=_raises_two_lines, steps=[invoke({"n": 1})])
