"""Small real graphs more than one part of the suite runs (the smoke scenario, the fault studies)."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict


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


class Child(TypedDict, total=False):
    """The subgraph's state in generated_values_graph."""

    value: Any
    n: int
    pause: str
    answer: Any


class Values(Child, total=False):
    """generated_values_graph's state: the child's keys and a log every run appends to."""

    log: Annotated[list, operator.add]


def generated_values_graph():
    """START -> work -> child (a subgraph) -> ask -> END, on a state of generated values (compat/test_generated.py).

    `value` and `answer` hold whatever the caller gives; `log` keeps every value work saw (a reducer, so history
    grows); `pause` ("parent" / "child" / anything else) chooses where the run interrupts with a payload made of
    generated values. The child has its own schema without `log`, so returning from it does not repeat the log.
    """
    from langgraph.graph import END, START, StateGraph
    from langgraph.types import interrupt

    def work(s: Values) -> dict:
        return {"n": s.get("n", 0) + 1, "log": [s.get("value")]}

    def inner(s: Child) -> dict:
        return {"answer": interrupt({"child": s.get("value")}) if s.get("pause") == "child" else s.get("answer")}

    def ask(s: Values) -> dict:
        return {"answer": interrupt([s.get("value"), s.get("n")]) if s.get("pause") == "parent" else s.get("answer")}

    child = StateGraph(Child)
    child.add_node("inner", inner)
    child.add_edge(START, "inner")
    child.add_edge("inner", END)
    g = StateGraph(Values)
    g.add_node("work", work)
    g.add_node("child", child.compile())  # no checkpointer of its own: it inherits the parent's
    g.add_node("ask", ask)
    g.add_edge(START, "work")
    g.add_edge("work", "child")
    g.add_edge("child", "ask")
    g.add_edge("ask", END)
    return g
