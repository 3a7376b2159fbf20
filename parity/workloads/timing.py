"""Wall time per workload step and end to end, over repetitions run outside the judged run."""

from __future__ import annotations

from typing import Any

from parity.workloads.contract import Workload
from parity.workloads.runner import END_TO_END, scenario

REPS = 5
QUICK_REPS = 3


def repetitions(session) -> int:
    return QUICK_REPS if session.options.quick else REPS


async def time_workload(cell, workload: Workload, reps: int) -> dict[str, list[float]]:
    """ms per step over `reps` fresh runs (each on a new scope); a run that raises is not timed."""
    from parity.judging.judge import run_scenario

    samples: dict[str, list[float]] = {}
    for _ in range(reps):
        timings: dict[str, float] = {}
        trace = await run_scenario(cell.session, cell.backend, cell.flavour, scenario(workload, timings), cell.endpoint)
        if any(label == "raised" for label, _ in trace.entries):
            continue  # a step failed in this repetition: its times would be of a shorter script
        for step, ms in timings.items():
            samples.setdefault(step, []).append(ms)
    return samples


def timing_rows(workload: Workload, cell, samples: dict[str, list[float]]) -> list[dict[str, Any]]:
    """workload_timings rows: median and 95% bootstrap CI per step; end-to-end last."""
    from parity.stats import bootstrap_median_ci

    rows = []
    order = [s for s in samples if s != END_TO_END] + ([END_TO_END] if END_TO_END in samples else [])
    for step in order:
        values = samples[step]
        median, low, high = bootstrap_median_ci(values)
        rows.append({"name": workload.name, "backend": cell.backend.name, "flavour": cell.flavour,
                     "loop": cell.loop, "step": step, "median_ms": round(median, 3),
                     "ci_low_ms": round(low, 3), "ci_high_ms": round(high, 3), "n": len(values)})
    return rows
