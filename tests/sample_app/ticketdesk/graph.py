"""The triage graph: classify a ticket, ask a human before any refund, then reply."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt


class Ticket(TypedDict, total=False):
    text: str
    category: str
    approved: bool
    notes: Annotated[list[str], operator.add]
    reply: str


def classify(ticket: Ticket) -> Ticket:
    text = ticket["text"].lower()
    category = "refund" if "refund" in text else "question"
    return {"category": category, "notes": [f"classified as {category}"]}


def approve(ticket: Ticket) -> Ticket:
    answer = interrupt({"ask": "approve refund?", "ticket": ticket["text"]})
    return {"approved": bool(answer), "notes": [f"approval: {answer}"]}


def respond(ticket: Ticket) -> Ticket:
    if ticket["category"] == "refund":
        reply = "refund approved" if ticket.get("approved") else "refund declined"
    else:
        reply = "thanks, we will get back to you"
    return {"reply": reply, "notes": ["replied"]}


def route(ticket: Ticket) -> str:
    return "approve" if ticket["category"] == "refund" else "respond"


def build(checkpointer):
    graph = StateGraph(Ticket)
    graph.add_node("classify", classify)
    graph.add_node("approve", approve)
    graph.add_node("respond", respond)
    graph.add_edge(START, "classify")
    graph.add_conditional_edges("classify", route, ["approve", "respond"])
    graph.add_edge("approve", "respond")
    graph.add_edge("respond", END)
    return graph.compile(checkpointer=checkpointer)
