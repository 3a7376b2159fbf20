"""Subgraphs: a child graph inheriting the parent's checkpointer, its state via subgraphs=True, and its history."""

from typing import TypedDict

import pytest
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt

from parity.judging.observe import history_view, snapshot


class Parent(TypedDict):
    text: str


class Child(TypedDict):
    text: str


def _builder() -> StateGraph:
    child = StateGraph(Child)
    child.add_node("draft", lambda s: {"text": s["text"] + " drafted"})
    child.add_node("review", lambda s: {"text": s["text"] + " " + interrupt({"review": s["text"]})})
    child.add_edge(START, "draft")
    child.add_edge("draft", "review")
    child.add_edge("review", END)

    parent = StateGraph(Parent)
    parent.add_node("start", lambda s: {"text": s["text"].strip()})
    parent.add_node("child", child.compile())  # no checkpointer: inherits the parent's
    parent.add_node("send", lambda s: {"text": s["text"] + " sent"})
    parent.add_edge(START, "start")
    parent.add_edge("start", "child")
    parent.add_edge("child", "send")
    parent.add_edge("send", END)
    return parent


async def subgraph_state(g) -> None:
    app = g.compile(_builder())
    cfg = g.config("sub")
    g.trace.add("paused inside the child", await g.invoke(app, {"text": " email "}, cfg))
    state = await g.get_state(app, cfg, subgraphs=True)
    g.trace.add("state with subgraphs=True (child ns, child values, interrupt)", snapshot(state))
    g.trace.add("resume", await g.invoke(app, Command(resume="approved"), cfg))
    g.trace.add("final", snapshot(await g.get_state(app, cfg, subgraphs=True)))


async def test_subgraph_state(parity_cell):
    """Contract: while the child is paused, get_state(subgraphs=True) shows the child task with its own state (checkpoint_ns 'child:<task>') and interrupt; resume finishes both graphs."""
    await parity_cell.check(subgraph_state)


async def subgraph_history(g) -> None:
    app = g.compile(_builder())
    cfg = g.config("subh")
    await g.invoke(app, {"text": "email"}, cfg)
    state = await g.get_state(app, cfg, subgraphs=True)
    child_cfg = state.tasks[0].state.config if state.tasks and state.tasks[0].state else None
    g.trace.add("paused parent (links)", snapshot(state, links=True))
    await g.invoke(app, Command(resume="ok"), cfg)
    parent_hist = await g.history(app, cfg)
    g.trace.add("parent history: count, newest first, parent links", history_view(parent_hist))
    if child_cfg is not None:
        child_hist = await g.history(app, {"configurable": {k: v for k, v in child_cfg["configurable"].items()
                                                            if k != "checkpoint_id"}})
        g.trace.add("child history (its checkpoint_ns, its own parent chain)", history_view(child_hist))
    by_ns: dict = {}
    for t in await g.list(cfg):  # no checkpoint_ns: every namespace; newest-first is promised within one
        by_ns.setdefault(t.config["configurable"]["checkpoint_ns"], []).append(t.config)
    g.trace.add("saver list without checkpoint_ns, grouped by namespace", by_ns)


@pytest.mark.requires("full_history")
async def test_subgraph_history(parity_cell):
    """Contract: parent history lists only root-namespace checkpoints newest first with unbroken parent links; the child's history under its checkpoint_ns lists the child's checkpoints with their own links."""
    await parity_cell.check(subgraph_history)


def _two_levels() -> StateGraph:
    """parent -> child -> grandchild, the grandchild pausing: namespaces "child:<task>|grandchild:<task>"."""
    grandchild = StateGraph(Child)
    grandchild.add_node("polish", lambda s: {"text": s["text"] + " polished"})
    grandchild.add_node("approve", lambda s: {"text": s["text"] + " " + interrupt({"approve": s["text"]})})
    grandchild.add_edge(START, "polish")
    grandchild.add_edge("polish", "approve")
    grandchild.add_edge("approve", END)

    child = StateGraph(Child)
    child.add_node("draft", lambda s: {"text": s["text"] + " drafted"})
    child.add_node("grandchild", grandchild.compile())
    child.add_edge(START, "draft")
    child.add_edge("draft", "grandchild")
    child.add_edge("grandchild", END)

    parent = StateGraph(Parent)
    parent.add_node("child", child.compile())
    parent.add_node("send", lambda s: {"text": s["text"] + " sent"})
    parent.add_edge(START, "child")
    parent.add_edge("child", "send")
    parent.add_edge("send", END)
    return parent


async def nested_two_levels(g) -> None:
    app = g.compile(_two_levels())
    cfg = g.config("deep")
    g.trace.add("paused two levels down", await g.invoke(app, {"text": "email"}, cfg))
    state = await g.get_state(app, cfg, subgraphs=True)
    g.trace.add("state with subgraphs=True (child and grandchild, interrupt)", snapshot(state))
    namespaces = set()
    for t in await g.list(cfg):  # every namespace of the thread; order across namespaces is not promised
        namespaces.add(t.config["configurable"]["checkpoint_ns"].count("|"))
    g.trace.add("namespace depths listed (0 root, 1 child, 2 grandchild)", sorted(namespaces))
    g.trace.add("resume", await g.invoke(app, Command(resume="ok"), cfg))
    g.trace.add("final", snapshot(await g.get_state(app, cfg, subgraphs=True)))


async def test_nested_subgraphs_two_levels(parity_cell):
    """Contract: a subgraph inside a subgraph (checkpoint_ns "child:<id>|grandchild:<id>") pauses, shows both levels' state and the interrupt with subgraphs=True, is listed under its namespace, and resumes to the end."""
    await parity_cell.check(nested_two_levels)


class Memo(TypedDict):
    seen: list[str]
    text: str


def _stateful_child() -> StateGraph:
    """A parent whose child is compiled with checkpointer=True: the child keeps its own state (`seen`) across the
    parent's runs on one thread, so each run's child sees what earlier runs left."""
    child = StateGraph(Memo)
    child.add_node("remember", lambda s: {"seen": [*s.get("seen", []), s["text"]]})
    child.add_edge(START, "remember")
    child.add_edge("remember", END)

    parent = StateGraph(Parent)
    parent.add_node("child", child.compile(checkpointer=True))
    parent.add_node("after", lambda s: {"text": s["text"] + "."})
    parent.add_edge(START, "child")
    parent.add_edge("child", "after")
    parent.add_edge("after", END)
    return parent


async def stateful_child_time_travel(g) -> None:
    app = g.compile(_stateful_child())
    cfg, child = g.config("memo"), g.config("memo", checkpoint_ns="child")  # the child's own namespace

    async def child_state(label: str) -> None:
        g.trace.add(label, snapshot(await g.get_state(app, child)))
    for text in ("one", "two", "three"):
        g.trace.add(f"run {text}", await g.invoke(app, {"text": text}, cfg))
    await child_state("the child's own state after three runs (seen: one, two, three)")
    hist = await g.history(app, cfg)
    second = next(s for s in reversed(hist) if s.values.get("text") == "two" and s.next == ("child",))
    g.trace.add("replay the second run", await g.invoke(app, None, second.config))
    await child_state("the child after the replay: its state as of that checkpoint, plus two")
    forked = await g.update_state(app, second.config, {"text": "fork"})
    g.trace.add("run the fork of the second run", await g.invoke(app, None, forked))
    await child_state("the child after the fork: its state as of that checkpoint, plus fork")
    g.trace.add("parent state after the fork", snapshot(await g.get_state(app, cfg), links=True))
    g.trace.add("history after replay and fork", history_view(await g.history(app, cfg)))


@pytest.mark.requires("full_history")
async def test_stateful_subgraph_under_replay_and_fork(parity_cell):
    """Contract: a subgraph compiled with checkpointer=True keeps its own state across the parent's runs; replaying
    or forking the parent from an earlier checkpoint runs the child on its state as of that checkpoint, as on the
    reference, and the parent's history shows both branches."""
    await parity_cell.check(stateful_child_time_travel)
