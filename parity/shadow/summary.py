"""The `shadow` section of results.json, from the JSON lines one or more ShadowSaver recordings wrote (a recording: one ShadowSaver, open to close)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from parity.errors import ParityUsageError
from parity.shadow.record import Histogram

KEPT_DIVERGENCES = 50  # examples carried into results.json; the JSON lines keep them all


def read_lines(directory: Path) -> list[dict[str, Any]]:
    files = sorted(directory.glob("shadow-*.jsonl")) if directory.is_dir() else []
    if not files:
        raise ParityUsageError(f"no shadow-*.jsonl files in {directory}",
                               "give the out_dir a ShadowSaver wrote to (ShadowSaver(..., out_dir=DIR))")
    records = []
    for f in files:
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                raise ParityUsageError(f"{f}:{n} is not a JSON line", "remove the damaged line or file") from None
    return records


def section(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts and histograms summed over recordings (one summary line each), divergences counted by op and thread."""
    summaries = [r for r in records if r.get("kind") == "summary"]
    divergences = [r for r in records if r.get("kind") == "divergence"]
    counts: Counter = Counter()
    latency: dict[str, Histogram] = {}
    unreliable: set[str] = set()
    for s in summaries:
        counts.update(s.get("counts", {}))
        unreliable.update(s.get("unreliable_threads", []))
        for key, h in s.get("latency", {}).items():
            latency.setdefault(key, Histogram()).merge(h)
    return {"recordings": len(summaries), "counts": dict(sorted(counts.items())),
            # where each recording's candidate ran: "thread" (ShadowSaver's worker) or "process" (its sidecar)
            "isolation": dict(Counter(str(x.get("isolation") or "thread") for x in summaries)),
            "divergences": len(divergences),
            # explained by a reviewed known divergence of the candidate's backend (parity/known_divergences.toml)
            "divergences_known": sum(1 for d in divergences if d.get("known")),
            "divergences_by_op": dict(Counter(d.get("op") for d in divergences)),
            "known_by_reason": dict(Counter(d["known"].get("reason", "") for d in divergences if d.get("known"))),
            "divergent_threads": sorted({str(d.get("thread")) for d in divergences}),
            "unreliable_threads": len(unreliable),
            "unreliable_thread_ids": sorted(unreliable)[:KEPT_DIVERGENCES],  # the count above is the whole
            "latency": {k: h.to_dict() for k, h in sorted(latency.items())},
            "latency_p50_ratio": _ratios(latency),
            # the unexplained ones first: they are what a team has to look at
            "examples": sorted(divergences, key=lambda d: bool(d.get("known")))[:KEPT_DIVERGENCES],
            "note": "latency quantiles are log2-bucket upper edges (at most 2x over); a recording without a summary "
                    "line (not closed) contributes divergences but no counts"}


def _ratios(latency: dict[str, Histogram]) -> dict[str, float]:
    """candidate p50 / primary p50 per op, where both sides ran (bucket edges: a coarse ratio, powers of 2)."""
    out = {}
    for key, h in latency.items():
        side, op = key.split(".", 1)
        other = latency.get(f"primary.{op}")
        if side == "candidate" and other and h.count and other.count:
            out[op] = h.quantile(0.5) / other.quantile(0.5)
    return out


# ---- facts read back from a saved section (report, gate, compare) ----------------------------------------

def dropped(shadow: dict[str, Any]) -> int:
    """Mirrored writes the candidate never got (queue full, candidate error, after close)."""
    return sum(n for k, n in (shadow.get("counts") or {}).items() if k.startswith("dropped"))


def reads_compared(shadow: dict[str, Any]) -> int:
    return int((shadow.get("counts") or {}).get("reads_compared", 0))


def mean_ratios(shadow: dict[str, Any]) -> dict[str, float]:
    """candidate mean / primary mean per op where both sides ran (exact, unlike the bucketed p50 ratio)."""
    lat = shadow.get("latency") or {}
    out = {}
    for key, h in lat.items():
        side, _, op = key.partition(".")
        other = lat.get(f"primary.{op}") or {}
        if side == "candidate" and h.get("mean_s") and other.get("mean_s"):
            out[op] = h["mean_s"] / other["mean_s"]
    return out
