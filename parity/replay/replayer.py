"""Write a recorded thread through a target saver in its original order, read it back on both sides, diff and time."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable

from parity.backends.capabilities import Capability
from parity.errors import ParityUsageError
from parity.injecting.migrate import put_args
from parity.judging.observe import tuple_view
from parity.judging.trace import Trace, diff, first_difference

DIFF_CAP = 6000  # characters of one diff kept in results.json; the first difference is always kept


@dataclass
class TargetRun:
    """What one target backend did with the replayed threads: outcomes per thread, divergences, errors, timings."""

    backend: str
    capabilities: frozenset[Capability]
    verified: list[str] = field(default_factory=list)
    diverged: list[str] = field(default_factory=list)
    errored: list[str] = field(default_factory=list)
    divergences: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    not_compared: dict[str, str] = field(default_factory=dict)  # op -> why (a capability the target lacks)
    samples: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))  # (op, side)

    def timed(self, op: str, side: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        result = fn()
        self.samples[(op, side)].append(time.perf_counter() - start)
        return result


def _views(tup) -> tuple[dict | None, Any]:
    """A tuple as the judge compares it, the pending writes apart (they are their own op in the report)."""
    view = tuple_view(tup, links=True)
    if view is None:
        return None, None
    writes = view.pop("pending_writes")
    return view, writes


def _ordered(tuples: list) -> list:
    """Original write order: checkpoint ids are uuid6, so they sort by the time they were made (then by namespace)."""
    return sorted(tuples, key=lambda t: (t.config["configurable"]["checkpoint_id"],
                                         t.config["configurable"].get("checkpoint_ns", "")))


def replay_thread(source, target, run: TargetRun, tid: str) -> None:
    """Write tid into target, then compare latest, every checkpoint by id, its pending writes and the history."""
    try:
        history = run.timed("read_to_copy", "source", lambda: source.list(_config(tid)))
        for tup in _ordered(history):
            args, config, by_task = put_args(tup)
            run.timed("put", "target", lambda: target.put(*args))
            for task_id, writes in by_task.items():
                run.timed("put_writes", "target", lambda: target.put_writes(config, writes, task_id))
        found = _compare(source, target, run, tid, history)
    except ParityUsageError:  # the source guard refused a command: the whole replay stops, said in one line
        raise
    except Exception as exc:  # noqa: BLE001 - a target (or source) error is recorded for this thread, never a verdict
        run.errored.append(tid)
        run.errors.append({"thread": tid, "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"})
        return
    (run.diverged if found else run.verified).append(tid)


def _compare(source, target, run: TargetRun, tid: str, history: list) -> bool:
    """Each read on both sides, alternating which side goes first (neither always gets a warm cache)."""
    full = Capability.FULL_HISTORY in run.capabilities
    if not full:
        run.not_compared.setdefault("history, by_id", f"{run.backend} keeps only the latest checkpoint "
                                                      "(no full_history capability)")
    found = False
    namespaces = sorted({t.config["configurable"].get("checkpoint_ns", "") for t in history})
    for i, ns in enumerate(namespaces):
        cfg = {"configurable": {"thread_id": tid, "checkpoint_ns": ns}}
        found |= _one(run, tid, "latest", "get_tuple_latest", i, lambda s: s.get_tuple(cfg), source, target, ns)
    if full:
        for i, tup in enumerate(_ordered(history)):
            cfg = {"configurable": dict(tup.config["configurable"])}
            found |= _one(run, tid, "by_id", "get_tuple_by_id", i, lambda s: s.get_tuple(cfg), source, target,
                          cfg["configurable"]["checkpoint_id"])
        # History per namespace, as get_state_history asks for it: newest first is promised within a namespace;
        # across namespaces savers interleave differently (InMemorySaver groups by namespace, SQL savers sort by id).
        for i, ns in enumerate(namespaces):
            cfg = {"configurable": {"thread_id": tid, "checkpoint_ns": ns}}
            found |= _one(run, tid, "history", "list", i + 1, lambda s: list(s.list(cfg)), source, target, ns)
    return found


def _one(run: TargetRun, tid: str, op: str, timing_op: str, i: int, read, source, target, where: str) -> bool:
    sides = [("source", source), ("target", target)]
    got = {side: run.timed(timing_op, side, lambda s=saver: read(s)) for side, saver in (sides if i % 2 == 0 else sides[::-1])}
    if op == "history":
        pairs = [(op, [tuple_view(t, links=True) for t in got["source"]],
                  [tuple_view(t, links=True) for t in got["target"]])]
    else:  # a single tuple: its pending writes are compared (and reported) as their own op
        (src_view, src_writes), (dst_view, dst_writes) = _views(got["source"]), _views(got["target"])
        pairs = [(op, src_view, dst_view), ("pending_writes", src_writes, dst_writes)]
    found = False
    for name, expected, actual in pairs:
        text = diff(_trace(name, expected), _trace(name, actual))
        if text is not None:
            found = True
            run.divergences.append({"thread": tid, "op": name, "where": where, "first_difference": first_difference(text),
                                    "diff": text[:DIFF_CAP]})
    return found


def _trace(op: str, value: Any) -> Trace:
    trace = Trace()
    trace.add(op, value)
    return trace


def _config(tid: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": tid}}
