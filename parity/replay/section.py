"""The `replay` section of results.json: per target the threads verified, the divergences, and both sides' timings."""

from __future__ import annotations

from typing import Any

from parity import stats
from parity.replay.replayer import TargetRun

EXAMPLES_KEPT = 50  # divergences carried per target; the count is always whole
READ_OPS = ("get_tuple_latest", "get_tuple_by_id", "list")
NOTE = ("Source and target reads alternate, one after the other, in this run; the source is the team's own server "
        "(its network and load included), a target is the server the suite chose, so a ratio says how this target "
        "compares with that source from here, not with Postgres in general. Writes are timed on the target only: "
        "the source's writes happened in the past.")


def timing_rows(run: TargetRun) -> list[dict[str, Any]]:
    rows = []
    for (op, side), samples in sorted(run.samples.items()):
        s = stats.summary(samples)
        rows.append({"op": op, "side": side, "backend": run.backend if side == "target" else "source", "n": s["n"],
                     "p50_ms": s["p50"] * 1000, "p99_ms": s["p99"] * 1000, "mean_ms": s["mean"] * 1000})
    return rows


def ratio_rows(run: TargetRun) -> list[dict[str, Any]]:
    """target ÷ source median latency per read op with a bootstrap 95% CI (> 1: the target is slower)."""
    rows = []
    for op in READ_OPS:
        target, source = run.samples.get((op, "target")), run.samples.get((op, "source"))
        if not target or not source or min(source) <= 0:
            continue
        median, low, high = stats.bootstrap_ratio_ci(target, source, n_resamples=1000)
        rows.append({"op": op, "numerator": run.backend, "denominator": "source", "n": min(len(target), len(source)),
                     "median": median, "ci_low": low, "ci_high": high})
    return rows


def target_entry(run: TargetRun) -> dict[str, Any]:
    return {"backend": run.backend, "threads": len(run.verified) + len(run.diverged) + len(run.errored),
            "verified": len(run.verified), "diverged_threads": run.diverged, "errored_threads": run.errored,
            "divergence_count": len(run.divergences), "divergences": run.divergences[:EXAMPLES_KEPT],
            "divergences_by_op": _count_by(run.divergences, "op"), "errors": run.errors[:EXAMPLES_KEPT],
            "not_compared": run.not_compared, "timings": timing_rows(run), "ratios": ratio_rows(run)}


def section(source: dict[str, Any], threads: dict[str, Any], runs: list[TargetRun],
            flavour: str = "sync") -> dict[str, Any]:
    """flavour: which saver API of the targets the threads went through (`parity replay --flavour`)."""
    return {"source": source, "threads": threads, "flavour": flavour, "targets": [target_entry(r) for r in runs],
            "note": NOTE}


def _count_by(rows: list[dict[str, Any]], key: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rows:
        out[str(r.get(key))] = out.get(str(r.get(key)), 0) + 1
    return out
