"""A reader's graph in miniature, named as README.md and docs/ name it (`myapp.graph:build`): the doc journeys run
the pages' commands on it. A support desk: triage a message, ask a human before a refund, reply."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt


class State(TypedDict, total=False):
    messages: Annotated[list[dict], operator.add]
    priority: str
    approved: bool


def triage(state: State) -> State:
    text = state["messages"][-1]["content"].lower()
    return {"priority": "high" if "refund" in text else "normal"}


def approve(state: State) -> State:
    answer = interrupt({"ask": "approve refund?"})
    return {"approved": bool(answer.get("approved")) if isinstance(answer, dict) else bool(answer)}


def reply(state: State) -> State:
    done = "refund sent" if state.get("approved") else "thanks, noted"
    return {"messages": [{"role": "assistant", "content": done}]}


def builder() -> StateGraph:
    graph = StateGraph(State)
    graph.add_node("triage", triage)
    graph.add_node("approve", approve)
    graph.add_node("reply", reply)
    graph.add_edge(START, "triage")
    graph.add_conditional_edges("triage", lambda s: "approve" if s["priority"] == "high" else "reply")
    graph.add_edge("approve", "reply")
    graph.add_edge("reply", END)
    return graph


def build(checkpointer):
    return builder().compile(checkpointer=checkpointer)
