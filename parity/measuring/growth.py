"""How cost grows: latency versus history length, number of threads and state size; rows into `growth`."""

from __future__ import annotations

from parity.measuring import latency, ops, timing
from parity.measuring.latency import Conditions, progress


def _row(session, cond: Conditions, dimension: str, backend, op: str, x: float, ns: list[int], **extra) -> dict:
    d = timing.describe(ns, ci=False)
    row = {"dimension": dimension, "backend": backend.name, "family": backend.family, "flavour": cond.flavour,
           "loop": cond.loop, "op": op, "x": x, "p50_ms": d["p50_ms"], "p99_ms": d["p99_ms"], "n": d["n"],
           "pairing": cond.pairing, "settings": latency.settings_label(cond.endpoints.get(backend.family)), **extra}
    session.add("growth", row)
    return row


async def _time(cond: Conditions, arms: dict) -> dict[str, list[int]]:
    errors = await timing.warm_up(arms, max(1, cond.plan.warmup), cond.flavour == "async")
    for name, error in errors.items():
        progress(f"growth {name} FAILED: {error}")
    return await timing.interleave(arms, cond.plan, cond.flavour == "async", start=max(1, cond.plan.warmup))


async def history(session, cond: Conditions, backends: list, sizes: tuple) -> None:
    """get_tuple latest, list(limit 10) and put on one thread as its history grows to each size."""
    state = ops.payload(ops.KB)
    async with latency.open_savers(session, cond, backends) as savers:
        threads = {b.name: ops.Thread(f"hist-{b.name}") for b in backends}
        for size in sizes:
            for b in backends:  # grow each thread to `size` checkpoints (shallow savers keep only the latest)
                await ops.fill(savers[b.name], threads[b.name], size - len(threads[b.name].ids), state)
            for op in ("get_tuple_latest", "list_10", "put"):
                arms = {}
                for b in backends:
                    calls, t = savers[b.name], threads[b.name]
                    c = ops.cfg(t.id)
                    arms[b.name] = {"get_tuple_latest": lambda i, calls=calls, c=c: calls.get_tuple(c),
                                    "list_10": lambda i, calls=calls, c=c: calls.list(c, 10),
                                    "put": lambda i, calls=calls, t=t: calls.put(t, state)}[op]
                samples = await _time(cond, arms)
                rows = [_row(session, cond, "history", b, op, size, samples[b.name]) for b in backends if b.name in samples]
                progress(f"growth history={size} {cond.flavour} {op}: "
                         + ", ".join(f"{r['backend']} {r['p50_ms']:.3f}" for r in rows))


async def threads(session, cond: Conditions, backends: list, counts: tuple) -> None:
    """get_tuple latest and list(limit 10) of one thread among N threads of 1 checkpoint each."""
    state = ops.payload(ops.KB)
    async with latency.open_savers(session, cond, backends) as savers:
        made = 0
        timed = {b.name: await ops.fill(savers[b.name], ops.Thread(f"thr-timed-{b.name}"), 3, state) for b in backends}
        for count in counts:
            for b in backends:
                for k in range(made, count):
                    await ops.fill(savers[b.name], ops.Thread(f"thr-{k}"), 1, state, writes_every=0)
            made = count
            for op in ("get_tuple_latest", "list_10"):
                arms = {}
                for b in backends:
                    calls, c = savers[b.name], ops.cfg(timed[b.name].id)
                    arms[b.name] = ((lambda i, calls=calls, c=c: calls.get_tuple(c)) if op == "get_tuple_latest"
                                    else (lambda i, calls=calls, c=c: calls.list(c, 10)))
                samples = await _time(cond, arms)
                rows = [_row(session, cond, "threads", b, op, count, samples[b.name]) for b in backends if b.name in samples]
                progress(f"growth threads={count} {cond.flavour} {op}: "
                         + ", ".join(f"{r['backend']} {r['p50_ms']:.3f}" for r in rows))


async def state_size(session, cond: Conditions, backends: list, sizes: tuple) -> None:
    """put and get_tuple latest with a state of each size."""
    async with latency.open_savers(session, cond, backends) as savers:
        for label in sizes:
            state = ops.payload(ops.SIZES[label])
            ts = {b.name: await ops.fill(savers[b.name], ops.Thread(f"size-{label}-{b.name}"), 2, state) for b in backends}
            for op in ("put", "get_tuple_latest"):
                arms = {}
                for b in backends:
                    calls, t = savers[b.name], ts[b.name]
                    arms[b.name] = ((lambda i, calls=calls, t=t: calls.put(t, state)) if op == "put"
                                    else (lambda i, calls=calls, c=ops.cfg(t.id): calls.get_tuple(c)))
                samples = await _time(cond, arms)
                rows = [_row(session, cond, "state_bytes", b, op, ops.SIZES[label], samples[b.name], payload=label)
                        for b in backends if b.name in samples]
                progress(f"growth state={label} {cond.flavour} {op}: "
                         + ", ".join(f"{r['backend']} {r['p50_ms']:.3f}" for r in rows))
