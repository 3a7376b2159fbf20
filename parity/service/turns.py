"""A workload as conversation turns: its script cut at each graph run, played per request; the saver the app opens."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from parity.errors import ParityUsageError
from parity.workloads.contract import Step, Workload, load

# The steps that run the graph: a turn ends with one (a user's message, an approval, a retry). The read and update
# steps before it (get_state to show the pending question, update_state) belong to the same request.
RUNS = ("invoke", "continue", "resume", "time_travel")
FIX = "give a workload whose script starts a thread with an invoke step (see the demo, parity.workloads.demo:sales_email)"


def segments(workload: Workload) -> list[list[Step]]:
    """The turns of one conversation: steps up to and including each graph run; trailing reads join the last turn."""
    out: list[list[Step]] = [[]]
    for step in workload.steps:
        out[-1].append(step)
        if step.action in RUNS:
            out.append([])
    if not out[-1]:
        out.pop()
    elif len(out) > 1:
        out[-2].extend(out.pop())
    return out


def check(workload: Workload) -> list[list[Step]]:
    """The turns, or a ParityUsageError when an app could not serve this script as requests."""
    where = workload.origin or workload.name
    first = next((s for s in workload.steps if s.action in RUNS), None)
    if first is None:
        raise ParityUsageError(f"workload {where} cannot be served: its script never runs the graph "
                               f"(no {', '.join(RUNS)} step), so a request would do nothing", FIX)
    if first.action != "invoke":
        raise ParityUsageError(f"workload {where} cannot be served: its first graph run is {first.action}, but a "
                               "new conversation must start its thread with invoke", FIX)
    return segments(workload)


def check_servable(spec: str) -> int:
    """Bad input before anything starts: the script as turns, played once on InMemorySaver (the app's own code
    path). Returns the number of turns per conversation."""
    from langgraph.checkpoint.memory import InMemorySaver

    workload = load(spec)
    parts = check(workload)
    graph = workload.build(InMemorySaver())

    async def once() -> None:
        for segment in parts:
            await play(graph, "check", segment)
    try:
        asyncio.run(once())
    except Exception as exc:
        raise ParityUsageError(f"workload {workload.origin or workload.name} cannot be served: one conversation "
                               f"failed on the in-memory saver ({type(exc).__name__}: {str(exc)[:160]})",
                               "make the script run through on InMemorySaver first (parity check --workload ...)") from None
    return len(parts)


class _Conversation:
    """What parity.workloads.runner.run_step drives: the async graph API on one conversation's threads."""

    def __init__(self, conversation: str) -> None:
        self.conversation = conversation

    def config(self, thread: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": f"{self.conversation}-{thread}"}}

    async def invoke(self, app, inp, config, **kw):
        return await app.ainvoke(inp, config, **kw)

    async def get_state(self, app, config, **kw):
        return await app.aget_state(config, **kw)

    async def history(self, app, config, **kw):
        return [s async for s in app.aget_state_history(config, **kw)]

    async def update_state(self, app, config, values, as_node=None):
        return await app.aupdate_state(config, values, as_node=as_node)


async def play(graph, conversation: str, segment: list[Step]) -> None:
    from parity.workloads.runner import run_step

    g = _Conversation(conversation)
    for step in segment:
        await run_step(g, graph, step)


@contextlib.asynccontextmanager
async def open_saver(config: dict[str, Any]):
    """The backend's async saver from the registry (third-party savers too), at its default pool or sized by the
    config's pool arm; the scope is the runner's, dropped when the app shuts down."""
    from parity.backends.backend import SaverContext
    from parity.backends.registry import registry_with
    from parity.servers.endpoint import Endpoint

    backend = registry_with(config.get("savers") or []).get(config["backend"])
    endpoint = Endpoint(**config["endpoint"]) if config.get("endpoint") else None
    ctx = SaverContext(endpoint, config["scope"], {"pool": config["pool"]} if config.get("pool") else {})
    async with backend.saver("async", ctx) as saver:
        yield saver


__all__ = ["check", "check_servable", "load", "open_saver", "play", "segments"]
