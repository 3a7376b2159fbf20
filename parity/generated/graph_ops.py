"""Graph operations as data: run on a compiled parity.graphs.generated_values_graph, observed with ids tokenised.

An op is a tuple whose first item names it (thread ids get the example's prefix when run):
  ("invoke", thread, value, pause)           invoke({"value": value, "pause": pause})
  ("stream", thread, value, pause, mode)     the same as stream(..., stream_mode=[mode, "checkpoints"]), every
                                             chunk, as supersteps (`supersteps`: parallel tasks stream as they
                                             finish, so the chunks between two checkpoints are a multiset)
  ("resume", thread, value)                  invoke(Command(resume=[value])) (a dict resume is read as
                                             {interrupt id: value} by LangGraph, so the value goes in a list)
  ("update", thread, value, as_node)         update_state(latest, {"value": value}, as_node=as_node)
  ("fork", thread, back, value)              update_state(the history's entry `back`, {"value": value},
                                             as_node="work") and invoke(None) from the new checkpoint (time
                                             travel with an edit: the run goes on into the subgraph)
  ("replay", thread, back)                   invoke(None) from the history's entry `back` (time travel)
  ("state", thread)                          nothing but the state read back (see below)
  ("history", thread, limit)                 get_state_history(limit=limit), every entry whole (next, tasks with
                                             their results and interrupts, parent link)
`back` counts from the newest entry and is clamped to the history's length, so an op means the same on any side.
After every op but "history", get_state(subgraphs=True) reads the thread back: what the saver stored is judged,
not only what the run returned from memory.
"""

from __future__ import annotations

import re
from typing import Any

from parity.generated.exact import Unordered
from parity.generated.ops import call
from parity.judging.observe import snapshot

# Checkpoint and task ids (uuid-shaped, alone or inside "child:<task id>") differ between two savers' runs of
# the same ops: each side's ids become tokens in order of first appearance, so links stay comparable.
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


class Tokens:
    """One side's id -> token map, kept for a whole example (a later step may name an earlier checkpoint)."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def string(self, text: str) -> str:
        return UUID.sub(lambda m: self.ids.setdefault(m.group(0), f"<id{len(self.ids) + 1}>"), text)

    def __call__(self, obj: Any) -> Any:
        """obj with ids tokenised in strings and dict keys; types kept (a tuple stays a tuple)."""
        if isinstance(obj, str):
            return self.string(obj)
        if type(obj) is dict:
            # Dicts are walked in an order that does not depend on ids or on the saver's key order, so both
            # sides hand out tokens alike.
            # LangGraph's runtime keys in a config ("__pregel_checkpointer": the saver object) are not stored data.
            items = sorted(((k, v) for k, v in obj.items() if not (isinstance(k, str) and k.startswith("__pregel_"))),
                           key=lambda kv: UUID.sub("<id>", repr(kv[0])))
            return {self(k): self(v) for k, v in items}
        if type(obj) in (list, tuple):
            return type(obj)(self(v) for v in obj)
        if type(obj) is Unordered:  # walked in an order that does not depend on ids (as dicts are)
            return Unordered(self(v) for v in sorted(obj, key=lambda v: UUID.sub("<id>", repr(v))))
        if type(obj).__name__ == "Interrupt" and type(obj).__module__.startswith("langgraph."):
            return {"interrupt": self(obj.value)}  # its id hashes the task id: not comparable across runs
        return obj  # generated values: compared as they are


async def run_graph_op(app, is_async: bool, prefix: str, op: tuple) -> Any:
    """Run one op on `app`; return what a user observes: its result and then (for an op that runs or writes) the
    thread's state as get_state(subgraphs=True) reads it back from the saver. An exception is an observation too."""
    kind, cfg = op[0], {"configurable": {"thread_id": prefix + op[1]}}
    try:
        result = await _run(app, is_async, cfg, op)
        if kind == "history":
            return result
        return {"result": result, "state": snapshot(await call(app, is_async, "get_state", cfg, subgraphs=True))}
    except Exception as exc:  # compared with what the reference did
        return {"raised": type(exc).__name__}


async def _run(app, is_async: bool, cfg: dict, op: tuple) -> Any:
    from langgraph.types import Command

    kind = op[0]
    if kind == "invoke":
        return await call(app, is_async, "invoke", {"value": op[2], "pause": op[3]}, cfg)
    if kind == "stream":
        chunks = await call(app, is_async, "stream", {"value": op[2], "pause": op[3]}, cfg,
                            stream_mode=[op[4], "checkpoints"])
        return supersteps(chunks)
    if kind == "resume":
        return await call(app, is_async, "invoke", Command(resume=[op[2]]), cfg)
    if kind == "update":
        return (await call(app, is_async, "update_state", cfg, {"value": op[2]}, as_node=op[3]))["configurable"]
    if kind in ("fork", "replay"):
        past = await call(app, is_async, "get_state_history", cfg)
        if not past:
            return "no history"
        start = past[min(op[2], len(past) - 1)].config
        if kind == "fork":
            # as the work node: LangGraph cannot tell who writes an edit on the input checkpoint otherwise
            start = await call(app, is_async, "update_state", start, {"value": op[3]}, as_node="work")
        return [start["configurable"], await call(app, is_async, "invoke", None, start)]
    if kind == "state":
        return None  # the state is what run_graph_op observes after every op
    if kind == "history":
        return [snapshot(s, links=True) for s in await call(app, is_async, "get_state_history", cfg, limit=op[2])]
    raise ValueError(f"unknown graph op {kind!r}")


def supersteps(chunks: list) -> list:
    """A stream of (mode, chunk) pairs as the order LangGraph promises: each "checkpoints" chunk in place (one is
    saved after every superstep), and the other chunks between two of them as one `Unordered` (the tasks of a
    superstep run in parallel and stream as each finishes: their order is the scheduler's, not the saver's)."""
    out: list = []
    step: list = []
    for mode, chunk in chunks:
        if mode != "checkpoints":
            step.append((mode, chunk))
            continue
        if step:
            out.append(Unordered(step))
            step = []
        out.append((mode, chunk))
    return out + ([Unordered(step)] if step else [])
