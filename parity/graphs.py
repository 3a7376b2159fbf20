"""Small real graphs more than one part of the suite runs (the smoke scenario, the fault studies)."""

from __future__ import annotations

from typing import TypedDict


class State(TypedDict):
    n: int
    answer: str
    pad: str


def count_then_ask():
    """START -> count -> ask (interrupt) -> END: one run writes 3 checkpoints and pending writes, then pauses."""
    from langgraph.graph import END, START, StateGraph
    from langgraph.types import interrupt

    def count(state: State) -> dict:
        return {"n": state["n"] + 1}

    def ask(state: State) -> dict:
        return {"answer": interrupt({"question": "go on?", "n": state["n"]})}

    g = StateGraph(State)
    g.add_node("count", count)
    g.add_node("ask", ask)
    g.add_edge(START, "count")
    g.add_edge("count", "ask")
    g.add_edge("ask", END)
    return g
