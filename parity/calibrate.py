"""`parity calibrate`: what `parity compare` can detect on this runner, measured with known slowdowns.

Clean runs of the benchmark's headline cell give the same-code pairs (every pair of them: how often compare cries
wolf); runs with a known client-side slowdown of one saver method (parity.measuring.slowdown) against the first clean
run give the smallest slowdown compare flags per method and flavour. Nothing here judges a figure itself: every
decision is `compare.compare`'s, exactly as a team's CI would call it.
"""

from __future__ import annotations

import itertools
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from parity import compare as comparing

# The ops each saver method's slowdown moves: its own, and a graph step, which calls put, put_writes and get_tuple.
MOVES = {"put": ("put", "graph_step"), "put_writes": ("put_writes", "graph_step"),
         "get_tuple": ("get_tuple_latest", "get_tuple_by_id", "graph_step"), "list": ("list_10",),
         "delete_thread": ("delete_thread",)}
FILE = "calibration.json"


def expected(row: dict[str, Any], backend: str) -> str | None:
    """The change a slowdown of `backend` shows on this row: a slower backend's p50 is a regression; on a ratio
    numerator÷denominator, a slower denominator lowers it (a regression, as compare reads ratios) and a slower
    numerator raises it (an improvement)."""
    if row["kind"] == "p50":
        return "regression" if row.get("backend") == backend else None
    if row["kind"] == "ratio":
        return {row.get("denominator"): "regression", row.get("numerator"): "improvement"}.get(backend)
    return None


def judge(clean: dict[str, Any], slowed: dict[str, Any], backend: str, method: str,
          threshold: float | None = None) -> dict[str, Any]:
    """compare(clean, slowed): per flavour, whether a row of the ops the slowdown moves was flagged in the expected
    direction; every other flagged row is listed as unrelated (a false alarm inside a true one)."""
    rows = comparing.compare(clean, slowed, comparing.default_threshold(clean, slowed) if threshold is None
                             else threshold)
    out: dict[str, Any] = {"flavours": {}, "unrelated": []}
    for r in rows:
        related = r.get("op") in MOVES[method] and expected(r, backend) is not None
        if related:
            f = out["flavours"].setdefault(str(r.get("flavour")), {"detected": False, "flagged": [], "suppressed": []})
            if r["change"] == expected(r, backend):
                f["detected"] = True
                f["flagged"].append(comparing.row_line(r))
            elif r.get("suppressed_by"):
                f["suppressed"].append(f"{comparing.row_line(r)}: {r['suppressed_by']}: {r['noise']}")
        elif r["change"] != "unchanged":
            out["unrelated"].append(comparing.row_line(r))
    return out


def false_alarms(clean: list[dict[str, Any]], threshold: float | None = None) -> dict[str, Any]:
    """Every pair of same-code runs through compare: the pairs with any flagged row are false alarms."""
    pairs = []
    for a, b in itertools.combinations(range(len(clean)), 2):
        rows = comparing.compare(clean[a], clean[b], comparing.default_threshold(clean[a], clean[b])
                                 if threshold is None else threshold)
        flagged = [comparing.row_line(r) for r in rows if r["change"] != "unchanged"]
        pairs.append({"pair": [a, b], "flagged": flagged})
    return {"pairs": len(pairs), "flagged": sum(1 for p in pairs if p["flagged"]), "detail": pairs}


def smallest(detection: list[dict[str, Any]]) -> dict[str, float | None]:
    """Per "method (flavour)": the smallest share compare flagged, when every larger share tried was flagged too
    (a detection at 20% but not at 40% is luck, not power); None when none was."""
    by: dict[str, list[tuple[float, bool]]] = {}
    for d in detection:
        for flavour, f in d["flavours"].items():
            by.setdefault(f"{d['method']} ({flavour})", []).append((d["share"], f["detected"]))
    out: dict[str, float | None] = {}
    for key, tried in sorted(by.items()):
        tried.sort()
        ok = [share for k, (share, _) in enumerate(tried) if all(hit for _, hit in tried[k:])]
        out[key] = ok[0] if ok else None
    return out


def summary(cal: dict[str, Any]) -> str:
    """The one line compare and the report print: what this runner lets compare see."""
    parts = [f"≥ {share:.0%} on {key}" if share is not None else f"not up to {cal['largest_share']:.0%} on {key}"
             for key, share in cal["smallest"].items()]
    fa = cal["same_code"]
    return (f"on this runner ({cal['runner']}), compare detects {', '.join(parts) or 'nothing tried'} "
            f"of {cal['backend']}; same-code pairs flagged {fa['flagged']} of {fa['pairs']} "
            f"(calibrated {cal['made'][:10]}, load {cal['load_avg']:.1f}, {cal['seconds'] / 60:.0f} min)")


def build(clean: list[dict[str, Any]], slowed: list[tuple[str, float, dict[str, Any]]], backend: str,
          seconds: float, threshold: float | None = None, load: float | None = None) -> dict[str, Any]:
    """The calibration document from the runs made (clean runs first; slowed as (method, share, doc)); `load`, the
    load average when the runs ended (now, unless they are an earlier calibration's judged again)."""
    detection = [{"method": m, "share": s, **judge(clean[0], doc, backend, m, threshold)} for m, s, doc in slowed]
    machine = clean[0].get("machine") or {}
    return {"made": datetime.now(timezone.utc).isoformat(timespec="seconds"), "backend": backend,
            "runner": str(machine.get("cpu_model") or "unknown CPU"), "cpu_model": machine.get("cpu_model"),
            "profile": (clean[0].get("run") or {}).get("profile"), "seconds": round(seconds),
            "load_avg": round(os.getloadavg()[0] if load is None else load, 2), "largest_share": max((s for _, s, _ in slowed), default=0.0),
            "same_code": false_alarms(clean, threshold), "detection": detection, "smallest": smallest(detection),
            "runs": [(d.get("run") or {}).get("id") for d in clean] + [(d.get("run") or {}).get("id")
                                                                        for _, _, d in slowed]}


def load(path: Path) -> dict[str, Any] | None:
    """A calibration written by `parity calibrate`, or None when there is none (or it cannot be read)."""
    try:
        cal = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return cal if isinstance(cal, dict) and "smallest" in cal and "same_code" in cal else None


def statement(cal: dict[str, Any] | None, docs: list[dict[str, Any]]) -> str | None:
    """Compare's line about the calibration: this runner's figures, or why they are not this runner's."""
    if cal is None:
        return None
    cpus = {str((d.get("machine") or {}).get("cpu_model")) for d in docs}
    if cal.get("cpu_model") and cpus != {str(cal["cpu_model"])}:
        return f"calibration: made on another CPU ({cal['cpu_model']}), not these runs' ({', '.join(sorted(cpus))})"
    return "calibration: " + summary(cal)
