"""Throughput, p99 and errors under 1..64 concurrent workers (threads for sync, tasks for async); rows into growth."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from parity.backends.backend import SaverContext
from parity.measuring import ops, timing
from parity.measuring.latency import Conditions, progress, settings_label

# Pool arms: "default" is what the backend's factory builds; "tuned" asks the factory for a pool sized to the
# workers through SaverContext.options["pool"] (only factories that honour the option make a tuned arm).
KINDS: Counter = Counter()  # error kinds of the level being run, reported with its row

POOL_ARMS = {"default": None, "tuned": lambda workers: {"max_size": workers, "min_size": min(workers, 4),
                                                        "timeout": 30.0, "max_connections": workers}}


def _sync_level(saver_calls, workers: int, calls: int, state) -> tuple[list[int], int, float]:
    per = max(1, calls // workers)
    threads = [ops.Thread(f"w{workers}-{k}") for k in range(workers)]
    for t in threads:
        ops.SaverCalls.put(saver_calls, t, state)

    def work(t):
        lat, err = [], 0
        for _ in range(per):
            t0 = time.perf_counter_ns()
            try:
                saver_calls.put(t, state)
                saver_calls.get_tuple(ops.cfg(t.id))
                lat.append(time.perf_counter_ns() - t0)
            except Exception as exc:  # timeouts and pool errors are what this sweep counts
                err += 1
                KINDS[f"{type(exc).__name__}: {str(exc)[:120]}"] += 1
        return lat, err
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(work, threads))
    wall = time.perf_counter() - t0
    return [x for lat, _ in results for x in lat], sum(e for _, e in results), wall


async def _async_level(saver_calls, workers: int, calls: int, state) -> tuple[list[int], int, float]:
    per = max(1, calls // workers)
    threads = [ops.Thread(f"w{workers}-{k}") for k in range(workers)]
    for t in threads:
        await saver_calls.put(t, state)

    async def work(t):
        lat, err = [], 0
        for _ in range(per):
            t0 = time.perf_counter_ns()
            try:
                await saver_calls.put(t, state)
                await saver_calls.get_tuple(ops.cfg(t.id))
                lat.append(time.perf_counter_ns() - t0)
            except Exception as exc:  # timeouts and pool errors are what this sweep counts
                err += 1
                KINDS[f"{type(exc).__name__}: {str(exc)[:120]}"] += 1
        return lat, err
    t0 = time.perf_counter()
    results = await asyncio.gather(*(work(t) for t in threads))
    wall = time.perf_counter() - t0
    return [x for lat, _ in results for x in lat], sum(e for _, e in results), wall


async def sweep(session, cond: Conditions, backend, arm: str, levels: tuple, calls: int) -> list[dict]:
    """One backend, one pool arm: each concurrency level runs `calls` put+get_tuple pairs spread over the workers."""
    options = {} if POOL_ARMS[arm] is None else {"pool": POOL_ARMS[arm](max(levels))}
    ctx = SaverContext(cond.endpoints.get(backend.family), session.new_scope(), options)
    state = ops.payload(ops.KB)
    rows = []
    cm = backend.saver(cond.flavour, ctx)
    if cond.flavour == "async":
        async with cm as saver:
            for w in levels:
                rows.append(_record(session, cond, backend, arm, options, w,
                                    *await _async_level(ops.SaverCalls(saver, "async"), w, max(calls, 2 * w), state)))
    else:
        with cm as saver:
            for w in levels:
                rows.append(_record(session, cond, backend, arm, options, w,
                                    *_sync_level(ops.SaverCalls(saver, "sync"), w, max(calls, 2 * w), state)))
    return rows


def _record(session, cond, backend, arm, options, workers, lat, errors, wall) -> dict:
    d = timing.describe(lat, ci=False) if lat else {"p50_ms": None, "p99_ms": None, "n": 0}
    row = {"dimension": "concurrency", "backend": backend.name, "family": backend.family, "flavour": cond.flavour,
           "loop": cond.loop, "op": "put+get_tuple", "x": workers, "p50_ms": d["p50_ms"], "p99_ms": d["p99_ms"],
           "n": d["n"], "throughput_ops": (len(lat) / wall) if wall else None, "errors": errors,
           "pool": {"arm": arm, **options.get("pool", {})}, "pairing": cond.pairing,
           "settings": settings_label(cond.endpoints.get(backend.family)),
           "error_kinds": dict(KINDS.most_common(3))}
    KINDS.clear()
    session.add("growth", row)
    progress(f"concurrency {backend.name} {arm} {cond.flavour}/{cond.loop or '-'} workers={workers}: "
             f"{row['throughput_ops'] or 0:.0f} ops/s p99 {row['p99_ms'] or 0:.2f} ms errors {errors}"
             + (f" {row['error_kinds']}" if errors else ""))
    return row
