"""History and time travel: get_state_history, replay from an earlier checkpoint, update_state, forks, list()."""

import operator
from typing import Annotated, TypedDict

import pytest
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command

from parity.judging.observe import history_view, snapshot, tuple_view


class Doc(TypedDict):
    n: int
    log: Annotated[list[str], operator.add]


def _builder(runs: dict) -> StateGraph:
    def step(name):
        def node(state: Doc) -> dict:
            runs[name] = runs.get(name, 0) + 1
            return {"n": state["n"] + 1, "log": [name]}
        return node

    g = StateGraph(Doc)
    for name in ("a", "b", "c"):
        g.add_node(name, step(name))
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_edge("b", "c")
    g.add_edge("c", END)
    return g


async def history(g) -> None:
    app = g.compile(_builder({}))
    cfg = g.config("hist")
    await g.invoke(app, {"n": 0, "log": []}, cfg)
    await g.invoke(app, {"n": 100, "log": ["second"]}, cfg)
    g.trace.add("history (newest first, parent links)", history_view(await g.history(app, cfg)))
    g.trace.add("history limit=3", history_view(await g.history(app, cfg, limit=3)))
    g.trace.add("history filter source=input", history_view(await g.history(app, cfg, filter={"source": "input"})))


@pytest.mark.requires("full_history", "list_filter", "list_limit")
async def test_state_history(parity_cell):
    """Contract: get_state_history returns every checkpoint of two runs newest first, each linked to its parent; limit and filter narrow it the same way."""
    await parity_cell.check(history)


async def time_travel(g) -> None:
    runs: dict = {}
    app = g.compile(_builder(runs))
    cfg = g.config("tt")
    await g.invoke(app, {"n": 0, "log": []}, cfg)
    hist = await g.history(app, cfg)
    before_b = next(s for s in hist if s.next == ("b",))
    g.trace.add("replay from the checkpoint before b", await g.invoke(app, None, before_b.config))
    g.trace.add("runs (a must not re-run)", dict(runs))
    forked = await g.update_state(app, before_b.config, {"n": 1000, "log": ["edited"]}, as_node="a")
    g.trace.add("fork config", forked)
    g.trace.add("forked state (parent is the edited checkpoint)", snapshot(await g.get_state(app, forked), links=True))
    g.trace.add("continue the fork", await g.invoke(app, None, forked))
    g.trace.add("runs after fork", dict(runs))
    g.trace.add("latest state", snapshot(await g.get_state(app, cfg), links=True))
    g.trace.add("whole history after replay and fork", history_view(await g.history(app, cfg)))


@pytest.mark.requires("full_history")
async def test_time_travel_and_fork(parity_cell):
    """Contract: invoking with an earlier checkpoint_id re-runs only later nodes; update_state on an old checkpoint forks a new branch whose parent is that checkpoint; history shows both branches."""
    await parity_cell.check(time_travel)


async def list_options(g) -> None:
    app = g.compile(_builder({}))
    for t in ("la", "lb"):
        await g.invoke(app, {"n": 0, "log": []}, g.config(t))
    cfg = g.config("la")
    everything = await g.list(cfg)
    g.trace.add("list all (newest first)", [tuple_view(t, links=True) for t in everything])
    g.trace.add("limit=2", [t.config for t in await g.list(cfg, limit=2)])
    g.trace.add("before the 3rd newest", [t.config for t in await g.list(cfg, before=everything[2].config)])
    g.trace.add("before + limit", [t.config for t in await g.list(cfg, before=everything[1].config, limit=2)])
    g.trace.add("filter step=2", [t.config for t in await g.list(cfg, filter={"step": 2})])
    g.trace.add("filter source=loop", [t.metadata["step"] for t in await g.list(cfg, filter={"source": "loop"})])
    g.trace.add("filter no match", [t.config for t in await g.list(cfg, filter={"source": "nope"})])
    g.trace.add("other thread untouched", len(await g.list(g.config("lb"))))


@pytest.mark.requires("full_history", "list_filter", "list_before", "list_limit")
async def test_list_filter_before_limit(parity_cell):
    """Contract: saver.list() returns one thread's checkpoints newest first; limit, before and metadata filter select exactly the same checkpoints as the reference."""
    await parity_cell.check(list_options)


class Fan(TypedDict):
    done: Annotated[list[str], operator.add]


def _fan_out_with_an_interrupt() -> StateGraph:
    """plan sends one work task per item; work on "b" interrupts, the others finish in the same superstep."""
    from langgraph.types import Send, interrupt

    def work(item: dict) -> dict:
        answer = interrupt(f"approve {item['x']}?") if item["x"] == "b" else "auto"
        return {"done": [f"{item['x']}:{answer}"]}

    g = StateGraph(Fan)
    g.add_node("plan", lambda s: {"done": ["plan"]})
    g.add_node("work", work)
    g.add_node("report", lambda s: {"done": ["report"]})
    g.add_edge(START, "plan")
    g.add_conditional_edges("plan", lambda s: [Send("work", {"x": x}) for x in ("a", "b", "c")], ["work"])
    g.add_edge("work", "report")
    g.add_edge("report", END)
    return g


async def fan_out_history(g) -> None:
    app = g.compile(_fan_out_with_an_interrupt())
    cfg = g.config("fan")
    g.trace.add("paused mid fan-out", await g.invoke(app, {"done": []}, cfg))
    g.trace.add("history while paused: next and tasks of every past state",
                [snapshot(s, links=True) for s in await g.history(app, cfg)])
    g.trace.add("resumed", await g.invoke(app, Command(resume="yes"), cfg))
    g.trace.add("history after resume", [snapshot(s, links=True) for s in await g.history(app, cfg)])


@pytest.mark.requires("full_history")
async def test_send_fan_out_interrupted_in_history(parity_cell):
    """Contract: a Send fan-out interrupted in one of its tasks reads back through get_state_history with the same
    next, tasks (their interrupts and results) and values in every past state as on the reference, before and
    after resume."""
    await parity_cell.check(fan_out_history)
