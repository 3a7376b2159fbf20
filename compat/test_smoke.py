"""Smoke: one graph invoke, an interrupt and a resume, on every backend, flavour and loop."""

from typing import TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt


class State(TypedDict):
    n: int
    answer: str


def _builder() -> StateGraph:
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


async def smoke(g) -> None:
    app = g.compile(_builder())
    cfg = g.config("smoke")
    g.trace.add("first invoke", await g.invoke(app, {"n": 1, "answer": ""}, cfg))
    state = await g.get_state(app, cfg)
    g.trace.add("paused at", {"next": state.next, "values": state.values,
                              "interrupts": [i.value for t in state.tasks for i in t.interrupts]})
    g.trace.add("resumed", await g.invoke(app, Command(resume="yes"), cfg))


async def test_invoke_and_resume(parity_cell):
    """Contract: a run pauses at interrupt(), resumes with Command(resume=...), and the state matches the reference."""
    await parity_cell.check(smoke)
