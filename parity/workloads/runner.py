"""Play a workload's script through a Driver: observations into the trace, wall time per step, reference preflight."""

from __future__ import annotations

import dataclasses
import fnmatch
import time
from typing import Any

from parity import roles
from parity.errors import ParityUsageError
from parity.judging.trace import nondeterministic_paths
from parity.workloads.contract import Step, Workload

IGNORED = "<ignored>"
END_TO_END = "end-to-end"


def ignore_paths(value: Any, patterns: tuple[str, ...], path: str = "") -> Any:
    """A copy of value with the parts at matching dotted paths replaced by "<ignored>" (applied before trace.add)."""
    if not patterns:
        return value
    if path and _matches(path, patterns):
        return IGNORED
    if isinstance(value, dict):
        return {k: ignore_paths(v, patterns, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and not hasattr(value, "_asdict"):
        return [ignore_paths(v, patterns, f"{path}.{i}" if path else str(i)) for i, v in enumerate(value)]
    as_dict = _as_dict(value)
    if as_dict is not None:  # messages, Interrupt, ...: the same shape the trace normaliser gives them
        return ignore_paths({"__type__": type(value).__name__, **as_dict}, patterns, path)
    return value


def _as_dict(value: Any) -> dict[str, Any] | None:
    if hasattr(value, "_asdict"):
        return value._asdict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if hasattr(value, "model_dump") and not isinstance(value, type):
        return value.model_dump()
    return None


def _matches(path: str, patterns: tuple[str, ...]) -> bool:
    parts = path.split(".")
    suffixes = [".".join(parts[i:]) for i in range(len(parts))]
    return any(fnmatch.fnmatchcase(s, p) for p in patterns for s in suffixes)


def snapshot_view(snap: Any) -> dict[str, Any]:
    """What a user sees of a StateSnapshot: values, next, tasks with their interrupts, metadata, parent link."""
    return {"values": snap.values, "next": list(snap.next), "metadata": snap.metadata,
            "tasks": [{"name": t.name, "interrupts": [i.value for i in t.interrupts],
                       "error": repr(t.error) if t.error else None} for t in snap.tasks],
            "has_parent": snap.parent_config is not None}


async def run_step(g, app, step: Step) -> Any:
    """Execute one step through the Driver; returns the observation to record."""
    from langgraph.types import Command

    cfg = g.config(step.thread)
    if step.action == "invoke":
        return {"values": await g.invoke(app, step.arg, cfg)}
    if step.action == "continue":
        return {"values": await g.invoke(app, None, cfg)}
    if step.action == "resume":
        return {"values": await g.invoke(app, Command(resume=step.arg), cfg)}
    if step.action == "update":
        return {"config": await g.update_state(app, cfg, step.arg, as_node=step.as_node)}
    if step.action == "get_state":
        return snapshot_view(await g.get_state(app, cfg, subgraphs=step.subgraphs))
    if step.action == "history":
        snaps = await g.history(app, cfg, limit=step.limit) if step.limit else await g.history(app, cfg)
        return {"history": [snapshot_view(s) for s in snaps]}
    if step.action == "time_travel":
        oldest_first = list(reversed(await g.history(app, cfg)))
        origin = oldest_first[step.arg]  # IndexError when the history is shorter: the user's script, see preflight
        return {"from": {"step": origin.metadata.get("step"), "next": list(origin.next)},
                "values": await g.invoke(app, step.input, origin.config)}
    raise ValueError(f"unknown action {step.action!r}")


async def play(workload: Workload, g, timings: dict[str, float] | None = None,
               progress: list[str] | None = None) -> None:
    """The scenario body: build the graph on the cell's saver, run each step, record what it shows."""
    app = workload.build(g.saver)
    total = 0.0
    for index, step in enumerate(workload.fresh_steps()):
        name = step.name(index)
        if progress is not None:
            progress.append(name)
        t0 = time.perf_counter()
        observed = await run_step(g, app, step)
        elapsed = time.perf_counter() - t0
        total += elapsed
        if timings is not None:
            timings[name] = elapsed * 1000
        g.trace.add(name, ignore_paths(observed, workload.ignore))
    if timings is not None:
        timings[END_TO_END] = total * 1000


def scenario(workload: Workload, timings: dict[str, float] | None = None, progress: list[str] | None = None):
    """A Scenario (Driver -> awaitable) for parity_cell.check / judge.run_scenario."""
    async def run(g) -> None:
        await play(workload, g, timings, progress)

    run.__name__ = f"workload_{workload.name}"
    return run


async def _reference_run(workload: Workload, flavour: str, progress: list[str]):
    """One run of the script on the in-memory reference; its trace."""
    import uuid

    from parity.backends.backend import SaverContext
    from parity.backends.registry import default_registry
    from parity.judging.driver import Driver
    from parity.judging.trace import Trace

    backend = default_registry().get(roles.REFERENCE)
    ctx = SaverContext(None, f"parity_preflight_{uuid.uuid4().hex[:8]}")
    trace = Trace()
    if flavour == "async":
        async with backend.saver("async", ctx) as saver:
            await play(workload, Driver(backend, flavour, ctx, saver, trace), progress=progress)
    else:
        with backend.saver("sync", ctx) as saver:
            await play(workload, Driver(backend, flavour, ctx, saver, trace), progress=progress)
    return trace


async def reference_failure(workload: Workload, flavour: str) -> str | None:
    """Run the script twice on the in-memory reference; one line saying where and how it fails, or which paths
    differ between its own two runs (non-deterministic in the graph: every backend would "diverge" there), or None."""
    progress: list[str] = []
    try:
        first = await _reference_run(workload, flavour, progress)
        second = await _reference_run(workload, flavour, progress)
    except Exception as exc:
        where = f"step {progress[-1]!r}" if progress else "build"
        return (f"workload {workload.name} fails on the reference backend (memory, {flavour}) itself at {where}: "
                f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}")
    paths = nondeterministic_paths(first, second)
    if paths:
        shown = ", ".join(f'"{p}"' for p in paths[:8])
        return (f"workload {workload.name} is non-deterministic in your graph: {len(paths)} path(s) differ between "
                f"two runs on the reference (memory, {flavour}) itself, e.g. {paths[0]} (fix: add ignore=[{shown}] to "
                "the Workload, or the same list as `ignore` in its script)")
    return None


def preflight(workload: Workload) -> None:
    """Raise ParityUsageError when the script fails on the reference, or differs between two reference runs: the
    user's graph, not a divergence."""
    import asyncio

    from parity import no_loop

    for flavour in ("sync", "async"):  # each as its app runs it: the sync one with no event loop
        failure = (asyncio.run if flavour == "async" else no_loop.drive)(reference_failure(workload, flavour))
        if failure and "non-deterministic in your graph" in failure:
            raise ParityUsageError(failure)  # the line names its fix: the exact ignore= to add
        if failure:
            raise ParityUsageError(failure, "this is a bug in the workload's graph or script, not a checkpointer "
                                   "divergence; make it run on InMemorySaver first")
