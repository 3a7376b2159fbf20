"""The shadow under candidate faults: app traffic while the candidate server is stalled (SIGSTOP) and killed."""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

from parity.measuring import ops, shadow_cost, timing

# What happens to the candidate server at the start of each phase; the app's traffic never stops in between.
PHASES = (("healthy", None), ("stalled", "SIGSTOP to the candidate's process group"),
          ("resumed", "SIGCONT"), ("killed", "SIGKILL to the candidate's process group"),
          ("restarted", "the candidate restarted on its data dir"))


@dataclass(frozen=True)
class FaultPlan:
    """Seconds per phase, app workers and steps per worker per turn; queue_size is the shadow's queue for the study."""

    phase_s: float = 2.0
    fault_s: float = 3.0  # the stalled and killed phases
    workers: int = 8
    steps: int = 4
    # Small on purpose, and said in the rows: at ~1000 queued items/s a 3 s stall overflows it, so the study shows
    # drops counted; the default 10 000 absorbs a stall this short (no drops, the mirror catches up afterwards).
    queue_size: int = 500
    read_fraction: float = 1.0

    def seconds(self, phase: str) -> float:
        return self.fault_s if phase in ("stalled", "killed") else self.phase_s


class Lever:
    """Stall, resume, kill and restart an embedded candidate server; SIGCONT is sent again on the way out."""

    def __init__(self, server) -> None:
        if getattr(server, "proc", None) is None:
            raise ValueError("the candidate must be a server process the suite owns (embedded)")
        self.server = server
        self.stalled = False

    def apply(self, phase: str) -> None:
        if phase == "stalled":
            os.killpg(self.server.proc.pid, signal.SIGSTOP)
            self.stalled = True
        elif phase == "resumed":
            self._cont()
        elif phase == "killed":
            self.server.kill()
        elif phase == "restarted":
            self.server.start()

    def _cont(self) -> None:
        if self.stalled:
            os.killpg(self.server.proc.pid, signal.SIGCONT)
            self.stalled = False

    def __enter__(self) -> "Lever":
        return self

    def __exit__(self, *exc) -> None:
        try:
            self._cont()
        except ProcessLookupError:  # already gone: nothing left stopped
            pass


class Traffic:
    """The app: workers alternating turns on the bare primary and on the shadow; errors counted, never raised."""

    def __init__(self, arms: dict[str, Any], plan: FaultPlan, tag: str) -> None:
        self.arms, self.plan = arms, plan
        self.threads = {a: [ops.Thread(f"{tag}-{a}-{k}") for k in range(plan.workers)] for a in arms}
        self.state = ops.payload(ops.KB)
        self.errors: dict[str, list[str]] = {a: [] for a in arms}

    def _record(self, arm: str, exc: Exception) -> None:
        self.errors[arm].append(f"{type(exc).__name__}: {str(exc)[:160]}")

    def turn_sync(self, pool: ThreadPoolExecutor, arm: str, out: dict[str, list[int]]) -> None:
        def work(thread):
            mine = {op: [] for op in shadow_cost.OPS}
            for _ in range(self.plan.steps):
                try:
                    shadow_cost.step_sync(self.arms[arm], thread, self.state, mine)
                except Exception as exc:  # an error on the app's path is the finding this study counts
                    self._record(arm, exc)
            return mine
        for mine in pool.map(work, self.threads[arm]):
            for op in shadow_cost.OPS:
                out[op].extend(mine[op])

    async def turn_async(self, arm: str, out: dict[str, list[int]]) -> None:
        async def work(thread):
            for _ in range(self.plan.steps):
                try:
                    await shadow_cost.step_async(self.arms[arm], thread, self.state, out)
                except Exception as exc:  # an error on the app's path is the finding this study counts
                    self._record(arm, exc)
        await asyncio.gather(*(work(t) for t in self.threads[arm]))


def _empty(arms) -> dict[str, dict[str, list[int]]]:
    return {a: {op: [] for op in shadow_cost.OPS} for a in arms}


async def run_phases(traffic: Traffic, lever: Lever, shadow, turn) -> list[dict[str, Any]]:
    """Each phase: apply the fault, then bare and shadow turns alternate (first one rotating) until its time is up.

    turn(arm, out) is a coroutine function; the sync flavour's never suspends (its callers are a thread pool)."""
    out = []
    for arm in traffic.arms:  # warm-up: threads exist, pool connections open
        await turn(arm, _empty(traffic.arms)[arm])
    for phase, how in PHASES:
        mark = _mark(traffic, shadow)
        lever.apply(phase)  # signals and a restart: quick, and sync on purpose (the app's calls wait meanwhile)
        # per arm and op, one list of samples per round: the CIs resample rounds (shadow_cost.compare says why)
        samples: dict[str, dict[str, list[list[int]]]] = {a: {op: [] for op in shadow_cost.OPS} for a in traffic.arms}
        deadline, r = time.monotonic() + traffic.plan.seconds(phase), 0
        while time.monotonic() < deadline or r < 2:
            this_round = _empty(traffic.arms)
            for arm in _order(traffic.arms, r):
                await turn(arm, this_round[arm])
            for arm in traffic.arms:
                for op in shadow_cost.OPS:
                    samples[arm][op].append(this_round[arm][op])
            r += 1
        out.append(phase_row(phase, how, samples, traffic, shadow, mark))
    return out


def _order(arms, r: int) -> list[str]:
    names = list(arms)
    return names[r % len(names):] + names[:r % len(names)]


def _current(shadow) -> dict[str, Any]:
    """The shadow's summary now. A sidecar's counts arrive when it answers: asked with a short wait, so a stalled
    candidate (the sidecar blocked in its call) leaves them as of its last answer, said in the row."""
    if shadow.isolation == "process":
        shadow.flush(SIDECAR_ASK_S)
    return shadow.summary()


SIDECAR_ASK_S = 1.0


def _mark(traffic: Traffic, shadow) -> dict[str, Any]:
    return {"errors": {a: len(e) for a, e in traffic.errors.items()}, "counts": dict(_current(shadow)["counts"])}


def phase_row(phase: str, how: str | None, samples, traffic: Traffic, shadow, mark) -> dict[str, Any]:
    """One phase: app errors per arm, the shadow's count changes, and shadow÷bare p50/p99 of the app's calls."""
    summary = _current(shadow)
    counts = {k: v - mark["counts"].get(k, 0) for k, v in summary["counts"].items() if v != mark["counts"].get(k, 0)}
    row: dict[str, Any] = {
        "phase": phase, "fault": how,
        "app_errors": {a: len(e) - mark["errors"][a] for a, e in traffic.errors.items()},
        "error_examples": sorted({x for a, e in traffic.errors.items() for x in e[mark["errors"][a]:]})[:3],
        "counts_delta": counts, "unreliable_threads": len(summary["unreliable_threads"]),
        "queue_depth_at_end": shadow.backlog(), "isolation": shadow.isolation, "ops": {}}
    target = shadow_cost.TARGETS.get(traffic.plan.read_fraction)
    for op in shadow_cost.OPS:
        # rounds in which both arms made calls (a killed primary can leave one arm's turn empty)
        pairs = [(b, s) for b, s in zip(samples["bare"][op], samples["shadow"][op]) if b and s]
        if not pairs:
            row["ops"][op] = {"n": 0}
            continue
        row["ops"][op] = _ratios([timing.to_ms(b) for b, _ in pairs], [timing.to_ms(s) for _, s in pairs], target)
    return row


def _ratios(bare_rounds: list[list[float]], shadow_rounds: list[list[float]], target: float | None) -> dict[str, Any]:
    """Shadow ÷ bare p50 and p99 of one phase (shadow_cost.ratios), p99 judged against the sampling's target."""
    r = shadow_cost.ratios(bare_rounds, shadow_rounds)
    return {**r,
            # the issue asks for "zero added p99 beyond the target": the p50 target of this sampling, applied to p99
            "p99_target_added": target,
            "p99_added_beyond_target": None if target is None else max(0.0, r["p99_ratio"] - 1 - target),
            "p99_verdict": shadow_cost.verdict((r["p99_ci_low"] - 1, r["p99_ci_high"] - 1), target)}


def judge(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What must hold whatever the timings: no app error on the shadowed path, drops counted, threads marked."""
    errors = sum(r["app_errors"].get("shadow", 0) for r in rows)
    dropped = sum(v for r in rows for k, v in r["counts_delta"].items() if k.startswith("dropped"))
    unreliable = rows[-1]["unreliable_threads"] if rows else 0
    return {"app_errors_shadowed": errors, "app_errors_bare": sum(r["app_errors"].get("bare", 0) for r in rows),
            "dropped": dropped, "unreliable_threads": unreliable,
            "divergences": sum(r["counts_delta"].get("divergences", 0) for r in rows)}


def describe(row: dict[str, Any]) -> str:
    parts = []
    for op, r in row["ops"].items():
        if "p99_ratio" in r:
            parts.append(f"{op} p50 x{r['p50_ratio']:.2f} p99 x{r['p99_ratio']:.2f} [{r['p99_ci_low']:.2f}, "
                         f"{r['p99_ci_high']:.2f}] ({r['p99_verdict']})")
    drops = {k: v for k, v in row["counts_delta"].items() if k.startswith("dropped")}
    return (f"shadow faults {row.get('flavour', '')} {row['phase']}: app errors {row['app_errors']}, drops {drops}, "
            f"unreliable threads {row['unreliable_threads']}, queue {row['queue_depth_at_end']}; " + "; ".join(parts))


def study(flavour: str, open_primary: Callable, candidate, server, plan: FaultPlan, tag: str,
          isolation: str = "thread") -> tuple[list[dict], dict]:
    """Wrap the primary (open_primary(): a context manager of the flavour's saver, async for "async") and the candidate
    in a ShadowSaver and drive the phases; rows per phase and the judgement. The async flavour runs in asyncio.run."""
    if flavour == "async":
        async def go():
            async with open_primary() as primary:
                return await _drive(flavour, primary, candidate, server, plan, tag, isolation)
        return asyncio.run(go())

    async def once():  # the sync flavour never suspends: run it without an event loop
        with open_primary() as primary:
            return await _drive(flavour, primary, candidate, server, plan, tag, isolation)
    coro = once()
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    raise RuntimeError("the sync flavour of the shadow fault study awaited something")


async def _drive(flavour: str, primary, candidate, server, plan: FaultPlan, tag: str,
                 isolation: str = "thread") -> tuple[list[dict], dict]:
    from parity.shadow import ShadowSaver

    shadow = ShadowSaver(primary, candidate, read_fraction=plan.read_fraction, queue_size=plan.queue_size, seed=19,
                         isolation=isolation)
    traffic = Traffic({"bare": primary, "shadow": shadow}, plan, tag)
    try:
        with Lever(server) as lever, ThreadPoolExecutor(max_workers=plan.workers) as pool:
            async def turn_sync(arm, out):
                traffic.turn_sync(pool, arm, out)
            rows = await run_phases(traffic, lever, shadow, traffic.turn_async if flavour == "async" else turn_sync)
    finally:
        closing = shadow.close(timeout=30)  # the candidate is back: the worker drains what is still queued
    for row in rows:
        row.update(flavour=flavour, queue_size=plan.queue_size if isolation == "thread" else "the sidecar's pipe",
                   read_fraction=plan.read_fraction, workers=plan.workers)
    return rows, {**judge(rows), "closed_counts": closing["counts"]}


def on_servers(pg, rd, primary_endpoint, candidate_server, flavour: str, plan: FaultPlan,
               isolation: str = "thread") -> tuple[list[dict], dict]:
    """The study with the primary's backend (pg) and the candidate's (rd) on the given servers. The
    candidate saver is opened once and lives through the restart (its client reconnects), as an app's would."""
    import contextlib
    import uuid

    from parity.backends.backend import SaverContext

    options = {"pool": {"max_size": plan.workers, "min_size": 2, "timeout": 30.0}}
    tag = f"shadowfault_{uuid.uuid4().hex[:8]}"

    def open_primary():
        return pg.saver(flavour, SaverContext(primary_endpoint, tag, options, keep=True))
    if isolation == "process":  # the sidecar builds it; its client reconnects after the restart, as the thread's
        candidate = functools.partial(shadow_cost.builtin_candidate, rd.name, rd.family, candidate_server.url, tag)
        return study(flavour, open_primary, candidate, candidate_server, plan, tag, isolation)
    with contextlib.ExitStack() as stack:
        candidate = stack.enter_context(rd.saver("sync", SaverContext(candidate_server.endpoint(), tag, keep=True)))
        return study(flavour, open_primary, candidate, candidate_server, plan, tag)


def failures(verdict: dict[str, Any]) -> list[str]:
    """What must hold whatever the timings, as one line each (empty: it held)."""
    out = []
    if verdict["app_errors_shadowed"]:
        out.append(f"{verdict['app_errors_shadowed']} error(s) on the app's path through the shadow, expected 0")
    if verdict["app_errors_bare"]:
        out.append(f"the primary itself failed {verdict['app_errors_bare']} time(s) while the candidate was faulted")
    if not verdict["dropped"]:
        out.append("no mirrored write counted as dropped although the candidate was killed")
    if not verdict["unreliable_threads"]:
        out.append("no thread marked unreliable although mirrored writes were dropped")
    if verdict["divergences"]:
        out.append(f"{verdict['divergences']} divergence(s) reported: a gap in the mirror must not count as one")
    return out
