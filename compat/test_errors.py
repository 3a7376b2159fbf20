"""Failures: a node error in a parallel superstep, pending writes of the successful branch, and resuming."""

import operator
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph

from parity.graphs import writes_saved
from parity.judging.observe import snapshot, tuple_view


class Par(TypedDict):
    log: Annotated[list[str], operator.add]


class FlakyError(RuntimeError):
    """Raised by the flaky branch while the scenario says so."""


def _parallel(runs: dict, flaky: dict, good_saved) -> StateGraph:
    def good(state: Par) -> dict:
        runs["good"] += 1
        return {"log": ["good"]}

    def bad(state: Par) -> dict:
        runs["bad"] += 1
        good_saved.wait(10)  # bad fails only after good's writes are saved, so they exist in every run
        if flaky["fail"]:
            raise FlakyError("bad branch failed on purpose")
        return {"log": ["bad"]}

    def join(state: Par) -> dict:
        runs["join"] += 1
        return {"log": ["join"]}

    g = StateGraph(Par)
    g.add_node("good", good)
    g.add_node("bad", bad)
    g.add_node("join", join)
    g.add_edge(START, "good")
    g.add_edge(START, "bad")
    g.add_edge(["good", "bad"], "join")
    g.add_edge("join", END)
    return g


async def parallel_failure_then_resume(g) -> None:
    runs = {"good": 0, "bad": 0, "join": 0}
    flaky = {"fail": True}
    app = g.compile(_parallel(runs, flaky, writes_saved(g.saver, lambda channel, value: value == ["good"])))
    cfg = g.config("par")
    try:
        await g.invoke(app, {"log": []}, cfg)
        g.trace.add("first run", "did not raise")
    except FlakyError as exc:
        g.trace.add("first run raised", {"type": type(exc).__name__, "message": str(exc)})
    state = await g.get_state(app, cfg)
    g.trace.add("state after failure (error on the task, good's result kept)", snapshot(state))
    g.trace.add("checkpoint after failure: the successful branch's pending writes",
                tuple_view(await g.get_tuple(state.config)))
    g.trace.add("executions before resume", dict(runs))
    flaky["fail"] = False
    g.trace.add("resume with None", await g.invoke(app, None, cfg))
    g.trace.add("executions after resume (good must not re-run)", dict(runs))
    g.trace.add("final state", snapshot(await g.get_state(app, cfg)))


async def test_parallel_branch_error_then_resume(parity_cell):
    """Contract: when one of two parallel nodes raises, the other's writes are saved as pending writes; resuming re-runs only the failed node (good runs exactly once) and the join sees both."""
    await parity_cell.check(parallel_failure_then_resume)


class Detail(TypedDict):
    x: int


class DetailedError(ValueError):
    def __init__(self, code: int, where: str) -> None:
        super().__init__(code, where)
        self.code = code


async def error_recorded(g) -> None:
    def boom(state: Detail) -> dict:
        raise DetailedError(418, "ünïcode node")

    builder = StateGraph(Detail)
    builder.add_node("boom", boom)
    builder.add_edge(START, "boom")
    builder.add_edge("boom", END)
    app = g.compile(builder)
    cfg = g.config("err")
    try:
        await g.invoke(app, {"x": 1}, cfg)
    except DetailedError as exc:
        g.trace.add("raised to the caller", {"type": type(exc).__name__, "args": list(exc.args)})
    state = await g.get_state(app, cfg)
    g.trace.add("state: the task carries the error", snapshot(state))
    g.trace.add("error write", tuple_view(await g.get_tuple(state.config)))


async def test_node_error_is_recorded(parity_cell):
    """Contract: a node's exception reaches the caller unchanged, and the saved state shows the failing task with the error's type and message."""
    await parity_cell.check(error_recorded)



def _fan_out_beside_interrupt(runs: dict) -> StateGraph:
    from langgraph.types import Send, interrupt

    def good(state: Par) -> dict:
        runs["good"] += 1
        return {"log": ["good"]}

    def ask(state: Par) -> dict:
        runs["ask"] += 1
        return {"log": [f"ask:{interrupt('go on?')}"]}

    def work(item) -> dict:  # untyped: the Send argument arrives as is
        runs["work"] += 1
        return {"log": [f"work:{item}"]}

    g = StateGraph(Par)
    g.add_node("good", good)
    g.add_node("ask", ask)
    g.add_node("work", work)
    g.add_edge(START, "good")
    g.add_edge(START, "ask")
    g.add_conditional_edges("good", lambda state: [Send("work", x) for x in ("a", "b", "c")])
    g.add_edge("ask", END)
    g.add_edge("work", END)
    return g


async def fan_out_beside_interrupt_then_resume(g) -> None:
    # An interrupt, not an error, stops the superstep: LangGraph lets the other tasks finish on an interrupt but
    # cancels them on an error, and which comes first is a race in LangGraph itself, not in the saver.
    from langgraph.types import Command

    runs = {"good": 0, "ask": 0, "work": 0}
    app = g.compile(_fan_out_beside_interrupt(runs))
    cfg = g.config("sends")
    g.trace.add("first run", await g.invoke(app, {"log": []}, cfg))
    state = await g.get_state(app, cfg)
    g.trace.add("state at the interrupt", snapshot(state))
    g.trace.add("checkpoint at the interrupt: good's writes include its Sends",
                tuple_view(await g.get_tuple(state.config)))
    g.trace.add("resume", await g.invoke(app, Command(resume="yes"), cfg))
    g.trace.add("executions after resume (good once, one work per Send)", dict(runs))
    g.trace.add("final state", snapshot(await g.get_state(app, cfg)))


async def test_sends_of_a_finished_branch_survive_an_interrupt(parity_cell):
    """Contract: Sends emitted by a node that finished in an interrupted superstep are kept as its pending writes; resuming runs every Send target once without re-running the node that sent them."""
    await parity_cell.check(fan_out_beside_interrupt_then_resume)
