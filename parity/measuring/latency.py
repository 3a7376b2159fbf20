"""One latency measurement: every applicable backend's savers open together, each op timed interleaved, rows + ratios."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from parity import families, roles, stats
from parity.backends.capabilities import Capability as C
from parity.backends.backend import SaverContext
from parity.measuring import disturbance, floors, noise, ops, server_events, slowdown, timing

# Durability pairings of the latency benchmark: name -> family -> server settings (None: the session server).
PAIRINGS = {name: {family: families.get(family).pairing_settings[kind] for family in families.names()}
            for name, kind in (("defaults", "defaults"), ("strict: aof-always vs sync-commit-on", "strict"),
                               ("relaxed: aof-everysec vs sync-commit-off", "relaxed"))}
DISK_SAMPLES = 10  # fsyncs before and after each writing op's window
SETTING_KEYS = ("appendonly", "appendfsync", "save", "synchronous_commit", "fsync")


_sink = None  # set by bench/conftest.py to write through pytest's terminal reporter, past output capture


def _short(pairing: str) -> str:
    """"strict" for "strict: aof-always vs sync-commit-on"; "defaults, one CPU" stays whole."""
    return pairing.split(":")[0]


def progress(line: str) -> None:
    """Per-op progress on the terminal even under -q and output capture."""
    if _sink is not None:
        _sink(f"[bench] {line}")
    else:
        print(f"[bench] {line}", file=sys.__stderr__, flush=True)


def settings_label(endpoint) -> dict[str, Any] | None:
    if endpoint is None:
        return None
    seen = {**(endpoint.probe or {}).get("settings", {}), **(endpoint.settings or {})}
    return {k: seen[k] for k in SETTING_KEYS if k in seen}


@dataclass
class Conditions:
    """The conditions a measurement runs under: pairing name, flavour, loop, and the endpoint per server family."""

    pairing: str
    flavour: str
    loop: str | None
    endpoints: dict[str, Any]
    plan: timing.Plan
    history: int
    tag: str = ""
    repeat: int = 1  # which repetition of the same measurement this is (the headline ops, profile.repeats times)
    layout: str | None = None  # where client and servers ran (placement.HEADLINE, a LAYOUTS label, or None: not recorded)
    rows: list = field(default_factory=list)
    schemas: list = field(default_factory=list)  # Postgres schemas of the savers open (their autovacuum counts)
    round_trips: disturbance.RoundTrips = field(default_factory=disturbance.RoundTrips)  # the cell's round trips (its repeats too)
    # Time a window again when its round trip moved (parity.measuring.disturbance). Only where client and servers are
    # pinned: where the scheduler places them, a round trip that moved may be the placement the cell is measuring.
    retime: bool = False


def pick_backends(session, cond: Conditions, include_serverless: bool = True) -> list:
    """Backends with the flavour whose server family is reachable in this pairing (serverless ones as floors)."""
    out = []
    for b in session.backends:
        if b.unfit or cond.flavour not in b.flavours():  # unfit: the server found lacks what it needs
            continue
        if b.family is None and (include_serverless or not b.has(C.DURABLE)):
            out.append(b)
        elif b.family in cond.endpoints:
            out.append(b)
    return out


def ratio_pairs(backends: list, pairs) -> list[tuple[Any, Any]]:
    """(incumbent, candidate) backends of every --pair both of whose backends are among `backends` (parity.roles):
    a ratio is incumbent ÷ candidate, the claims' own subject (C1/C2 for the default pair: Postgres -> Redis)."""
    by_name = {b.name: b for b in backends}
    return [(by_name[p.incumbent], by_name[p.candidate]) for p in pairs
            if p.incumbent in by_name and p.candidate in by_name]


def pairs_of(session) -> list:
    """The session's --pair (a worker's stand-in session carries its parent's)."""
    return list(getattr(session, "pairs", None) or roles.DEFAULT)


@contextlib.asynccontextmanager
async def open_savers(session, cond: Conditions, backends: list):
    async with contextlib.AsyncExitStack() as stack:
        savers = {}
        for b in backends:
            ctx = SaverContext(cond.endpoints.get(b.family) if b.family else None, session.new_scope())
            if b.family and families.get(b.family).schema_scoped:
                cond.schemas.append(ctx.scope)
            cm = b.saver(cond.flavour, ctx)
            saver = await stack.enter_async_context(cm) if cond.flavour == "async" else stack.enter_context(cm)
            saver = slowdown.wrap(saver, b.name, getattr(session, "slowdowns", ()))  # calibration only
            savers[b.name] = ops.SaverCalls(saver, cond.flavour, b.has(C.FULL_HISTORY))
        yield savers


async def run_cell(session, cond: Conditions, op_list: list[ops.Op], backends: list) -> list[dict]:
    """Time every op of op_list on every backend interleaved; returns and records measurement rows."""
    families = {b.family for b in backends if b.family}
    async with open_savers(session, cond, backends) as savers:
        with server_events.Events({f: cond.endpoints.get(f) for f in families}, cond.schemas) as events:
            await _time_ops(session, cond, op_list, backends, savers, events)
    return cond.rows


async def _time_ops(session, cond: Conditions, op_list: list[ops.Op], backends: list, savers: dict, events) -> None:
    ops.reset_shared()
    async with contextlib.AsyncExitStack() as stack:
        gauges = {}  # the bare round trip to each server, one more arm of every op's rounds (parity.measuring.disturbance)
        for family, ep in sorted(cond.endpoints.items()):
            gauges[disturbance.ARM + family] = await stack.enter_async_context(floors.round_trip(ep, cond.flavour))
        windows = []
        for op in op_list:
            arms = {}
            for b in backends:
                if op.applicable(b):
                    n = cond.plan.n + cond.plan.warmup
                    arms[b.name] = await ops.prepare(op, savers[b.name], f"{cond.tag}{op.name}", n, cond.history)
            # A delete cannot be repeated on the same data (its threads are gone): one window whatever happens.
            windows.append(_Window(op, {**arms, **gauges},
                                   1 + (disturbance.RETRIES if cond.retime and op.kind != "delete" else 0)))
            await _measure(cond, windows[-1], events)
        await _judge_and_record(session, cond, windows, backends, events)


@dataclass
class _Window:
    """One op's window, its attempts and its last measurement. Call indices go on from attempt to attempt: a put
    extends its thread, graph steps go on."""

    op: ops.Op
    arms: dict
    attempts: int
    made: int = 0
    first: int = 0
    errors: dict = field(default_factory=dict)
    samples: dict = field(default_factory=dict)
    round_trip_us: dict = field(default_factory=dict)
    seconds: float = 0.0
    events: Any = None
    disk: list = field(default_factory=list)


async def _judge_and_record(session, cond: Conditions, windows: list[_Window], backends: list, events) -> None:
    """Judge every window's round trip against the median of all the cell's windows (the cell's repeats before
    this one too), time the disturbed ones again while they have attempts left, then record them all.

    Judged after the cell's last op, not as each window ends: a cell that began in a disturbed stretch had no
    usual value to compare its first windows with. And the windows to time again wait for the cell's other ops:
    a disturbed stretch lasted ~10 s on the VM, so a window timed again at once fell in it again.
    """
    while True:
        # Unpinned cells and deletes have one attempt: only pinned windows are ever timed again.
        again = [w for w in windows if w.made < w.attempts and cond.round_trips.judge(w.round_trip_us).disturbed]
        if not again:
            break
        for w in again:
            _discard(session, cond, w.op, backends, w.samples, cond.round_trips.judge(w.round_trip_us), w.seconds,
                     w.made)
            await _measure(cond, w, events)
    for w in windows:
        verdict = cond.round_trips.judge(w.round_trip_us)
        disturbed = None
        if verdict.disturbed and cond.retime:
            disturbed = verdict.describe() + (f" in all {w.attempts} attempts" if w.attempts > 1
                                              else " (a delete is timed once)")
        record_errors(session, cond, w.op, w.errors)
        record_op(session, cond, w.op, backends, w.samples, w.events,
                  stats.percentile(w.disk, 50) if w.disk else None, verdict, disturbed)


async def _measure(cond: Conditions, w: _Window, events) -> None:
    """settle, warm up, time one attempt of the window; its round trips join the cell's."""
    is_async = cond.flavour == "async"
    warm = max(1, cond.plan.warmup)
    settle()
    disk = noise.fsync_samples(DISK_SAMPLES) if w.op.kind != "read" else []
    w.errors.update(await timing.warm_up(w.arms, warm, is_async, first=w.first))
    mark = events.mark()  # server statistics read outside the timed calls, before and after them
    t0 = time.monotonic()
    samples = await timing.interleave(w.arms, cond.plan, is_async, start=w.first + warm)
    w.seconds = time.monotonic() - t0
    w.first += warm + cond.plan.n
    w.made += 1
    w.events = events.since(mark) if events.readers or events.unavailable else None
    w.disk = disk + (noise.fsync_samples(DISK_SAMPLES) if disk else [])
    w.round_trip_us = _round_trips({k: samples.pop(k) for k in list(samples) if k.startswith(disturbance.ARM)})
    w.samples = samples
    cond.round_trips.keep(w.round_trip_us)


def _round_trips(samples: dict[str, list[int]]) -> dict[str, float]:
    """The gauge arms' p50 in microseconds, by server family."""
    return {name[len(disturbance.ARM):]: stats.percentile(timing.to_ms(ns), 50) * 1000
            for name, ns in samples.items() if name.startswith(disturbance.ARM) and ns}


def _discard(session, cond: Conditions, op: ops.Op, backends: list, samples: dict[str, list[int]],
             verdict: disturbance.Judgement, seconds: float, attempt: int) -> None:
    """A window timed again: what it measured stays in the results as a `noise` row, never as a figure."""
    by_name = {b.name: b for b in backends}
    p50 = {name: round(stats.percentile(timing.to_ms(ns), 50), 4) for name, ns in samples.items() if ns}
    ratios = {f"{p.name}÷{r.name}": round(p50[p.name] / p50[r.name], 4)
              for p, r in ratio_pairs([by_name[n] for n in samples], pairs_of(session)) if p50.get(r.name)}
    where = f"{op.name}[{op.payload}] {cond.flavour}/{cond.loop or '-'} {_short(cond.pairing)} repeat {cond.repeat}"
    session.add("noise", {"kind": "retimed", "what": f"{where}, attempt {attempt}: {verdict.describe()}",
                          "seconds": round(seconds, 2), "op": op.name, "payload": op.payload, "flavour": cond.flavour,
                          "loop": cond.loop, "pairing": cond.pairing, "repeat": cond.repeat, "layout": cond.layout,
                          "attempt": attempt, "round_trip_factor": verdict.factor,
                          "round_trip_us": verdict.round_trip_us, "reference_us": verdict.reference_us,
                          "p50_ms": p50, "ratios": ratios})
    progress(f"re-timing {where}: {verdict.describe()}")


def settle() -> None:
    """Flush every dirty page to disk before an op is warmed up and timed, outside the timed calls.

    Found measuring repeatability: right after put[100KB] (and after preparing the read ops' history), Postgres's
    and SQLite's put_writes p50 was 3.2-4.0 ms, and 0.35-0.5 ms when the same op was timed again later in the run;
    fresh worker processes timing only the 1 KB ops agreed with the second figure. A durable commit's fsync waited
    for the previous op's writeback (the filesystem journal flushes other dirty data with it), so each op paid for
    the one before it. Every op now starts from a clean page cache, whichever backend and op came before.
    """
    if hasattr(os, "sync"):
        os.sync()


def record_op(session, cond: Conditions, op: ops.Op, backends: list, samples: dict[str, list[int]],
              events: dict[str, Any] | None = None, disk_ms: float | None = None,
              round_trip: disturbance.Judgement | None = None, disturbed: str | None = None) -> None:
    """events: server_events of the op's timed window (every server of the conditions: they share the machine);
    disk_ms: the disk's 4 KB write + fsync p50 just before and after a writing op's window (a durable commit waits
    for it, so a Postgres or SQLite write figure moves with it); round_trip: the bare round trips timed in the same
    window and their factor over the cell's median; disturbed: why a window still disturbed was kept."""
    by_name = {b.name: b for b in backends}
    parts = []
    for name, ns in samples.items():
        b = by_name[name]
        row = {"backend": name, "family": b.family, "flavour": cond.flavour, "loop": cond.loop, "op": op.name,
               "payload": op.payload, "op_kind": op.kind, "pairing": cond.pairing, "settings": settings_label(cond.endpoints.get(b.family)),
               "history": cond.history, "repeat": cond.repeat, "layout": cond.layout, **timing.describe(ns)}
        if b.family is not None and events is not None:
            row["server_events"] = events
        if disk_ms is not None:
            row["disk_fsync_p50_ms"] = disk_ms
        row.update(_round_trip_fields(round_trip, disturbed))
        session.add("measurements", row)
        if b.family is None and not b.has(C.DURABLE):  # the in-memory saver: the floor of a saver call
            session.add("floors", {"backend": name, "what": f"in-memory saver: {op.name}[{op.payload}]",
                                   "flavour": cond.flavour, "loop": cond.loop, "pairing": cond.pairing,
                                   "settings": None, "p50_ms": row["p50_ms"], "p90_ms": row["p90_ms"],
                                   "p99_ms": row["p99_ms"], "n": row["n"]})
        cond.rows.append(row)
        parts.append(f"{name} {row['p50_ms']:.3f}")
    line = f"{_short(cond.pairing):8} {cond.flavour}/{cond.loop or '-'} {op.name}[{op.payload}] p50 ms: " + ", ".join(parts)
    for p, r in ratio_pairs([by_name[n] for n in samples], pairs_of(session)):
        row = ratio_row(cond, op, p, r, samples[p.name], samples[r.name])
        if events is not None:
            row["server_events"] = events
        if disk_ms is not None:
            row["disk_fsync_p50_ms"] = disk_ms
        row.update(_round_trip_fields(round_trip, disturbed))
        session.add("ratios", row)
        line += f" | {p.name}/{r.name} {row['median']:.2f} [{row['ci_low']:.2f}, {row['ci_high']:.2f}]"
    if disk_ms is not None:
        line += f" | disk fsync p50 {disk_ms:.2f} ms"
    if events is not None and server_events.notable(events):
        line += f" | server: {server_events.describe(events)}"
    if disturbed:
        line += f" | DISTURBED: {disturbed}"
    progress(line)


def _round_trip_fields(rt: disturbance.Judgement | None, disturbed: str | None) -> dict[str, Any]:
    if rt is None:
        return {}
    out: dict[str, Any] = {"round_trip_us": rt.round_trip_us, "round_trip_factor": rt.factor}
    if disturbed:
        out["disturbed"] = disturbed
    return out


def record_errors(session, cond: Conditions, op: ops.Op, errors: dict[str, str]) -> None:
    for name, error in errors.items():
        session.add("measurements", {"backend": name, "flavour": cond.flavour, "loop": cond.loop, "op": op.name,
                                     "payload": op.payload, "pairing": cond.pairing, "settings": None, "n": 0,
                                     "p50_ms": None, "p90_ms": None, "p99_ms": None, "mean_ms": None,
                                     "error": error})
        progress(f"{_short(cond.pairing)} {cond.flavour}/{cond.loop or '-'} {op.name}[{op.payload}] {name} FAILED: {error}")


def ratio_row(cond: Conditions, op: ops.Op, numer, denom, a_ns: list[int], b_ns: list[int]) -> dict:
    """numer ÷ denom (backends) with its bootstrap CI, and the settings of the server each one ran on."""
    point, low, high = stats.bootstrap_ratio_ci(timing.to_ms(a_ns), timing.to_ms(b_ns))
    return {"op": op.name, "flavour": cond.flavour, "loop": cond.loop, "payload": op.payload,
            "pairing": cond.pairing, "numerator": numer.name, "denominator": denom.name,
            "median": point, "ci_low": low, "ci_high": high, "op_kind": op.kind, "repeat": cond.repeat,
            "layout": cond.layout,
            "numerator_settings": settings_label(cond.endpoints.get(numer.family)),
            "denominator_settings": settings_label(cond.endpoints.get(denom.family))}


async def run_floors(session, cond: Conditions) -> dict[str, dict]:
    """Driver round trips per family and the empty call, interleaved in the same loop; rows into floors."""
    is_async = cond.flavour == "async"
    async with contextlib.AsyncExitStack() as stack:
        arms = {"harness": timing.empty_arm(is_async)}
        for family, ep in sorted(cond.endpoints.items()):
            arms[family] = await stack.enter_async_context(floors.round_trip(ep, cond.flavour))
        samples = await timing.interleave(arms, cond.plan, is_async)
    out: dict[str, dict] = {}
    for name, ns in samples.items():
        d = timing.describe(ns, ci=False)
        what = "harness overhead: empty call through the timing loop" if name == "harness" else floors.what(name)
        row = {"backend": name, "what": what, "flavour": cond.flavour, "loop": cond.loop, "pairing": cond.pairing,
               "settings": settings_label(cond.endpoints.get(name)), "p50_ms": d["p50_ms"], "p90_ms": d["p90_ms"],
               "p99_ms": d["p99_ms"], "n": d["n"], "layout": cond.layout}
        session.add("floors", row)
        out[name] = row
    progress(f"floors {_short(cond.pairing)} {cond.flavour}/{cond.loop or '-'}: "
             + ", ".join(f"{k} p50 {v['p50_ms'] * 1000:.2f} us" for k, v in out.items()))
    return out
