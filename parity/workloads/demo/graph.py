"""The demo graph: a sales email orchestration (research subgraph with parallel tool calls, draft, approval)."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import operator
import uuid
from typing import Annotated, Any, Literal, TypedDict

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.types import Command, Send, interrupt

DRAFTS = (
    "Subject: {company} x Acme Analytics\n\nHi {contact}, congratulations on {news}. Teams like yours use us to "
    "cut reporting time in half. Open to a 20-minute call next week?",
    "Subject: A pilot for {company}\n\nHi {contact}, short version: a 2-week pilot, no cost, on your own data. "
    "Worth a look?",
    "Subject: {company} and Acme\n\nHi {contact}, following up on {news}: happy to share a case study.",
)


class Lead(TypedDict):
    company: str
    contact: str
    email: str


class ResearchState(TypedDict):
    lead: Lead
    messages: Annotated[list[AnyMessage], add_messages]
    findings: Annotated[list[str], operator.add]


class State(ResearchState, total=False):
    draft: dict[str, Any]
    revisions: int
    cc: list[str]
    decision: str
    sent: dict[str, Any]


@tool
def company_news(company: str) -> str:
    """Latest public news about a company."""
    return f"{company} opened a second office in Lyon"


@tool
def crm_history(email: str) -> str:
    """Past interactions with this contact in the CRM."""
    return f"{email}: downloaded the pricing PDF twice, no call booked"


@tool
def pricing_tier(company: str) -> str:
    """The pricing tier that fits a company of this size."""
    return f"{company}: Team tier, 40 seats"


TOOLS = {t.name: t for t in (company_news, crm_history, pricing_tier)}


LEAD: Lead = {"company": "Brightline Foods", "contact": "Maya", "email": "maya@brightline.example"}


class _Shared:
    """A fake model's answers, safe to draw from several threads: one compiled graph serves concurrent requests in
    the service part, its sync nodes run on worker threads, and a plain generator drawn from two of them at once
    raises "generator already executing" (an error of the demo, which would be counted against the backend)."""

    def __init__(self, answers) -> None:
        self._answers, self._lock = iter(answers), threading.Lock()

    def __iter__(self) -> "_Shared":
        return self

    def __next__(self):
        with self._lock:
            return next(self._answers)


def _planner() -> GenericFakeChatModel:
    """A fake chat model that answers with three parallel tool calls about the demo lead (offline, deterministic)."""
    def plans():
        while True:
            yield AIMessage("", tool_calls=[
                {"name": "company_news", "args": {"company": LEAD["company"]}, "id": "call_news"},
                {"name": "crm_history", "args": {"email": LEAD["email"]}, "id": "call_crm"},
                {"name": "pricing_tier", "args": {"company": LEAD["company"]}, "id": "call_price"}])
    return GenericFakeChatModel(messages=_Shared(plans()))


def build_research(planner: GenericFakeChatModel, summariser: GenericFakeChatModel):
    """The research subgraph: plan -> parallel tool calls (Send fan-out) -> summarise."""
    def plan(state: ResearchState) -> dict:
        return {"messages": [planner.invoke([SystemMessage("Research this lead."), HumanMessage(str(state["lead"]))])]}

    def fan_out(state: ResearchState) -> list[Send]:
        return [Send("call_tool", {"call": tc}) for tc in state["messages"][-1].tool_calls]

    def call_tool(payload: dict) -> dict:
        call = payload["call"]
        result = TOOLS[call["name"]].invoke(call["args"])
        return {"messages": [ToolMessage(result, tool_call_id=call["id"], name=call["name"])], "findings": [result]}

    def summarise(state: ResearchState) -> dict:
        notes = "\n".join(sorted(state["findings"]))
        return {"messages": [summariser.invoke([SystemMessage("Summarise the research."), HumanMessage(notes)])]}

    g = StateGraph(ResearchState)
    g.add_node("plan", plan)
    g.add_node("call_tool", call_tool)
    g.add_node("summarise", summarise)
    g.add_edge(START, "plan")
    g.add_conditional_edges("plan", fan_out, ["call_tool"])
    g.add_edge("call_tool", "summarise")
    g.add_edge("summarise", END)
    return g.compile()


def build(checkpointer):
    """The factory a workload points at: build(checkpointer) -> CompiledStateGraph."""
    summariser = GenericFakeChatModel(messages=_Shared(itertools.cycle(["Warm lead: expanding, price-aware, Team tier."])))
    writer = GenericFakeChatModel(messages=_Shared(itertools.cycle(DRAFTS)))

    def draft(state: State) -> dict:
        lead, n = state["lead"], state.get("revisions", 0)
        feedback = state.get("decision", "")
        prompt = [SystemMessage("Write a short sales email."), HumanMessage(f"{lead} {feedback}".strip())]
        news = next(f for f in state["findings"] if "office" in f).split(" opened ")[1]
        text = writer.invoke(prompt).content.format(company=lead["company"], contact=lead["contact"], news=news)
        subject, _, body = text.partition("\n\n")
        return {"draft": {"subject": subject.removeprefix("Subject: "), "body": body, "version": n + 1,
                          "tracking_id": uuid.uuid4().hex,  # generated per draft: declared in `ignore`
                          "drafted_at": dt.datetime.now(dt.timezone.utc).isoformat()},
                "messages": [AIMessage(text, name="writer")]}

    def approve(state: State) -> Command[Literal["revise", "send"]]:
        answer = interrupt({"question": "Send this email?", "subject": state["draft"]["subject"],
                            "version": state["draft"]["version"]})
        if answer.get("action") == "send":
            return Command(goto="send", update={"decision": "send"})
        return Command(goto="revise", update={"decision": answer.get("feedback", "")})

    def revise(state: State) -> dict:
        return {"revisions": state.get("revisions", 0) + 1}

    def send(state: State) -> dict:
        return {"sent": {"to": [state["lead"]["email"], *state.get("cc", [])], "subject": state["draft"]["subject"],
                         "message_id": f"<{uuid.uuid4()}@mail.example.com>"}}

    g = StateGraph(State)
    g.add_node("research", build_research(_planner(), summariser))
    g.add_node("draft", draft)
    g.add_node("approve", approve)
    g.add_node("revise", revise)
    g.add_node("send", send)
    g.add_edge(START, "research")
    g.add_edge("research", "draft")
    g.add_edge("draft", "approve")
    g.add_edge("revise", "draft")
    g.add_edge("send", END)
    return g.compile(checkpointer=checkpointer)
