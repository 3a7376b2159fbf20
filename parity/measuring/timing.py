"""The interleaved timing loop: warm-up, then arms A B A B ... per round so machine drift cancels; floors, overhead."""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass
from typing import Any, Callable

from parity import stats


@dataclass(frozen=True)
class Plan:
    """How many samples: `rounds` rounds of `per_round` calls per arm, after `warmup` untimed calls per arm."""

    rounds: int = 20
    per_round: int = 10
    warmup: int = 20

    @property
    def n(self) -> int:
        return self.rounds * self.per_round


def _orders(names: list[str], rounds: int) -> list[list[str]]:
    # Rotate who goes first each round: an arm never always follows the same neighbour.
    return [names[r % len(names):] + names[:r % len(names)] for r in range(rounds)]


def interleave_sync(arms: dict[str, Callable[[int], Any]], plan: Plan, start: int = 0) -> dict[str, list[int]]:
    """Per-call latencies in ns for each arm; call(i) gets its arm's running call index (warm-up included)."""
    clock = time.perf_counter_ns
    index = {name: start for name in arms}
    for name, call in arms.items():
        for _ in range(plan.warmup if start == 0 else 0):
            call(index[name])
            index[name] += 1
    samples: dict[str, list[int]] = {name: [] for name in arms}
    for order in _orders(list(arms), plan.rounds):
        for name in order:
            call, out, i = arms[name], samples[name], index[name]
            for k in range(i, i + plan.per_round):
                t0 = clock()
                call(k)
                out.append(clock() - t0)
            index[name] = i + plan.per_round
    return samples


async def interleave_async(arms: dict[str, Callable[[int], Any]], plan: Plan, start: int = 0) -> dict[str, list[int]]:
    """As interleave_sync, inside the running event loop: each call(i) returns an awaitable."""
    clock = time.perf_counter_ns
    index = {name: start for name in arms}
    for name, call in arms.items():
        for _ in range(plan.warmup if start == 0 else 0):
            await call(index[name])
            index[name] += 1
    samples: dict[str, list[int]] = {name: [] for name in arms}
    for order in _orders(list(arms), plan.rounds):
        for name in order:
            call, out, i = arms[name], samples[name], index[name]
            for k in range(i, i + plan.per_round):
                t0 = clock()
                await call(k)
                out.append(clock() - t0)
            index[name] = i + plan.per_round
    return samples


async def interleave(arms: dict[str, Callable[[int], Any]], plan: Plan, is_async: bool,
                     start: int = 0) -> dict[str, list[int]]:
    """start > 0: the caller already warmed each arm up with calls 0..start-1; no warm-up here."""
    return await interleave_async(arms, plan, start) if is_async else interleave_sync(arms, plan, start)


async def warm_up(arms: dict[str, Callable[[int], Any]], calls: int, is_async: bool, first: int = 0) -> dict[str, str]:
    """Untimed calls first..first+calls-1 per arm; an arm that raises is dropped and its error returned by name."""
    errors = {}
    for name, call in list(arms.items()):
        try:
            for i in range(first, first + calls):
                out = call(i)
                if is_async:
                    await out
        except Exception as exc:  # a backend failing an op is a result to report, not a crash of the measurement
            errors[name] = f"{type(exc).__name__}: {str(exc)[:200]}"
            del arms[name]
    return errors


def empty_arm(is_async: bool) -> Callable[[int], Any]:
    """The harness-overhead arm: a call that does nothing, through the same loop."""
    if is_async:
        async def nothing(i: int) -> None:
            return None
        return nothing
    return lambda i: None


def to_ms(samples_ns: list[int]) -> list[float]:
    return [s / 1e6 for s in samples_ns]


def describe(samples_ns: list[int], *, ci: bool = True) -> dict[str, Any]:
    """p50/p90/p99/mean in ms, the median's bootstrap CI, and a 20-bin log histogram."""
    ms = to_ms(samples_ns)
    s = stats.summary(ms)
    row = {"n": s["n"], "p50_ms": s["p50"], "p90_ms": s["p90"], "p99_ms": s["p99"], "mean_ms": s["mean"],
           "min_ms": s["min"], "max_ms": s["max"]}
    if ci:
        _, low, high = stats.bootstrap_median_ci(ms, n_resamples=1000)
        row.update(ci_low_ms=low, ci_high_ms=high)
    row["hist"] = histogram(ms)
    return row


def histogram(ms: list[float], bins: int = 20) -> dict[str, list]:
    lo, hi = max(min(ms), 1e-6), max(max(ms), 1e-6)
    if hi <= lo:
        return {"edges_ms": [lo, hi], "counts": [len(ms)]}
    ratio = (hi / lo) ** (1 / bins)
    edges = [lo * ratio ** k for k in range(bins + 1)]
    counts = [0] * bins
    for v in ms:
        k = 0 if v <= lo else min(bins - 1, int(_log(v / lo) / _log(ratio)))
        counts[k] += 1
    return {"edges_ms": [round(e, 6) for e in edges], "counts": counts}


def _log(x: float) -> float:
    import math
    return math.log(x)


def is_coroutine_fn(fn: Callable) -> bool:
    return inspect.iscoroutinefunction(fn)
