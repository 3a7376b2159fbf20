"""Workloads whose node hangs (sync: time.sleep, async: asyncio.sleep) on every saver but the reference."""

import asyncio
import time
from typing import TypedDict

from langchain_core.runnables import RunnableLambda
from langgraph.graph import END, START, StateGraph

from parity.workloads import Workload, invoke

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
