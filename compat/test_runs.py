"""Graph runs: a multi-step run and its state, streaming with a checkpointer, Send fan-out, large state, many threads."""

import asyncio
import operator
from typing import Annotated, TypedDict

import pytest
from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

from parity.judging.observe import snapshot


class Steps(TypedDict):
    n: int
    log: Annotated[list[str], operator.add]


def _steps_builder() -> StateGraph:
    g = StateGraph(Steps)
    for name in ("a", "b", "c"):
        g.add_node(name, lambda s, name=name: {"n": s["n"] + 1, "log": [name]})
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_edge("b", "c")
    g.add_edge("c", END)
    return g


async def multi_step(g) -> None:
    app = g.compile(_steps_builder())
    cfg = g.config("multi")
    g.trace.add("first run", await g.invoke(app, {"n": 0, "log": []}, cfg))
    g.trace.add("state", snapshot(await g.get_state(app, cfg)))
    g.trace.add("second run on the same thread", await g.invoke(app, {"n": 10, "log": ["again"]}, cfg))
    g.trace.add("state after", snapshot(await g.get_state(app, cfg)))


async def test_multi_step_run_and_state(parity_cell):
    """Contract: a three-node run returns the final values; get_state shows them with step/source metadata and a parent link; a second run on the thread continues from them."""
    await parity_cell.check(multi_step)


async def streaming(g) -> None:
    app = g.compile(_steps_builder())
    cfg = g.config("stream")
    g.trace.add("updates", await g.stream(app, {"n": 0, "log": []}, cfg, stream_mode="updates"))
    g.trace.add("values", await g.stream(app, {"n": 5, "log": []}, cfg, stream_mode="values"))
    g.trace.add("state", snapshot(await g.get_state(app, cfg)))


async def test_streaming_with_checkpointer(parity_cell):
    """Contract: stream(updates) and stream(values) yield the same chunks in the same order as the reference, and the state after streaming is the final one."""
    await parity_cell.check(streaming)


class Fan(TypedDict):
    items: list[int]
    results: Annotated[list[int], operator.add]


def _fan_builder() -> StateGraph:
    def split(state: Fan):
        return [Send("work", {"items": [x], "results": []}) for x in state["items"]]

    g = StateGraph(Fan)
    g.add_node("work", lambda s: {"results": [s["items"][0] * 10]})
    g.add_conditional_edges(START, split, ["work"])
    g.add_edge("work", END)
    return g


async def send_fan_out(g) -> None:
    app = g.compile(_fan_builder())
    cfg = g.config("fan")
    out = await g.invoke(app, {"items": [3, 1, 2, 5], "results": []}, cfg)
    g.trace.add("result (Send order is the order of the sends)", out)
    g.trace.add("state", snapshot(await g.get_state(app, cfg)))


async def test_send_fan_out(parity_cell):
    """Contract: Send fan-out runs one task per item and the reducer sees their results in send order; state after the run matches."""
    await parity_cell.check(send_fan_out)


class Big(TypedDict, total=False):
    blob: str
    others: dict


def _big_builder(channels: int) -> tuple[StateGraph, type]:
    fields = {f"c{i:03d}": int for i in range(channels)}
    Wide = TypedDict("Wide", {"blob": str, **fields}, total=False)  # noqa: UP013 - channel names are data here

    def fill(state):
        return {"blob": state["blob"] + "!", **{k: i for i, k in enumerate(fields)}}

    g = StateGraph(Wide)
    g.add_node("fill", fill)
    g.add_edge(START, "fill")
    g.add_edge("fill", END)
    return g, Wide


async def large_state(g) -> None:
    builder, _ = _big_builder(200)
    app = g.compile(builder)
    cfg = g.config("big")
    blob = "x" * (1024 * 1024)
    await g.invoke(app, {"blob": blob}, cfg)
    state = await g.get_state(app, cfg)
    values = dict(state.values)
    got = values.pop("blob", "")
    g.trace.add("1 MB string survives", {"len": len(got), "intact": got == blob + "!"})
    g.trace.add("200 channels", values)


async def test_large_state(parity_cell):
    """Contract: a 1 MB string and 200 channels in one checkpoint round-trip intact."""
    await parity_cell.check(large_state)


async def many_threads(g) -> None:
    app = g.compile(_steps_builder())
    threads = [f"th{i}" for i in range(12)]
    for rnd in range(2):  # interleaved: every thread advances once per round
        if g.is_async and rnd == 1:
            outs = await asyncio.gather(*(g.invoke(app, {"n": i, "log": [t]}, g.config(t))
                                          for i, t in enumerate(threads)))
        else:
            outs = [await g.invoke(app, {"n": i, "log": [t]}, g.config(t)) for i, t in enumerate(threads)]
        g.trace.add(f"round {rnd}", outs)
    for t in threads:
        state = await g.get_state(app, g.config(t))
        g.trace.add(f"state {t}", {"values": state.values, "step": state.metadata["step"]})


@pytest.mark.slow
async def test_many_threads_interleaved(parity_cell):
    """Contract: 12 threads advanced in turns (concurrently in async) keep separate states, each with its own step count."""
    await parity_cell.check(many_threads)
