"""How far the headline ratios moved between the repeats of one run, against the profile's target; the run's noise.

The headline ops (ops.HEADLINE_OPS) are measured `profile.repeats` times in one run under the same layout. The
spread of one ratio is (largest median - smallest) / smallest over its repeats; the run's figure is the worst
spread. A run whose worst spread exceeds its target says so at the top of the report and `parity compare` widens
its threshold to it, with that reason. The figure is only as good as the layout: where the suite could not pin
client and servers, the stated uncertainty is doubled (the rule is in docs/repeatability.md), since placement moves
a ratio between runs by more than a single run can see (put 0.9x vs 2.3x on the 2-CPU VM this was built on).
"""

from __future__ import annotations

import statistics
from typing import Any

from parity.measuring import disturbance, placement
from parity.measuring.ops import HEADLINE_OPS
from parity.measuring.profile import get as profile

KEY = ("op", "payload", "flavour", "loop", "pairing", "numerator", "denominator", "layout")
HEADLINE = {(op.name, op.payload) for op in HEADLINE_OPS}
UNPINNED_FACTOR = 2.0


def target(doc: dict[str, Any]) -> float:
    return profile(str((doc.get("run") or {}).get("profile") or "standard")).repeat_target


def spread(medians: list[float]) -> float:
    """(largest - smallest) / smallest: how far one ratio moved across its repeats or processes."""
    return (max(medians) - min(medians)) / min(medians)


def _process_key(row: dict[str, Any]) -> tuple:
    return tuple(row.get(k) for k in ("op", "flavour", "numerator", "denominator", "layout"))


def fresh_medians(doc: dict[str, Any]) -> dict[tuple, list[float]]:
    """The same ratio's medians from fresh worker processes (the noise rows of kind "processes"; the first of their
    medians is this run's own process, already among the repeats)."""
    return {_process_key(n): [float(m) for m in n["medians"][1:]]
            for n in doc.get("noise") or [] if n.get("kind") == "processes" and n.get("medians")}


def spreads(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """One entry per headline ratio measured at least twice: its repeat medians and their spread."""
    groups: dict[tuple, dict[int, dict]] = {}
    for r in doc.get("ratios") or []:
        if (r.get("op"), r.get("payload")) not in HEADLINE or r.get("pairing") != "defaults" or not r.get("median"):
            continue
        groups.setdefault(tuple(r.get(k) for k in KEY), {})[int(r.get("repeat") or 1)] = r
    workers = fresh_medians(doc)
    out = []
    for key, by_repeat in groups.items():
        if len(by_repeat) < 2:
            continue
        rows = [by_repeat[k] for k in sorted(by_repeat)]
        meds = [float(r["median"]) for r in rows]
        e = dict(zip(KEY, key))
        fresh = workers.get(_process_key(e), [])
        # The run's headline figure: the median over its repeats and its fresh processes, as pyperf reports over
        # its workers; a single repeat caught by a burst (put 0.93 beside 0.81, 0.77, 0.84, 0.83, 0.82) moves it
        # little, and the spread still shows that burst.
        entry = {**e, "medians": [round(m, 4) for m in meds], "spread": round(spread(meds), 4),
                 "headline": round(statistics.median(meds + list(fresh)), 4), "figures": len(meds) + len(fresh)}
        disk = [r.get("disk_fsync_p50_ms") for r in rows]
        if all(isinstance(d, (int, float)) for d in disk):
            entry["disk_fsync_p50_ms"] = [round(d, 3) for d in disk]
        out.append(entry)
    return sorted(out, key=lambda e: -e["spread"])


def combined_ratios(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The ratio rows with each ratio's repeats folded into one row, for verdicts and `parity compare`.

    A ratio measured once keeps its row. A ratio measured in several repeats (and fresh processes) gets one row:
    its median is the run's headline figure (the median over the repeats' and processes' medians, as `spreads`
    computes it) and its interval the hull of the repeats' 95% CIs and the processes' medians. One repeat's CI
    says how precisely that repeat was measured, not how far the ratio moves between repeats; the hull says both,
    so a verdict or a regression needs the ratio's move to exceed what the run itself showed.
    """
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for r in doc.get("ratios") or []:
        if isinstance(r, dict) and r.get("median") is not None:
            groups.setdefault(tuple(r.get(k) for k in KEY), []).append(r)
    fresh = fresh_medians(doc)
    out = []
    for rows in groups.values():
        rows = sorted(rows, key=lambda r: int(r.get("repeat") or 1))
        if len(rows) == 1:
            out.append(rows[0])
            continue
        first = rows[0]
        procs = fresh.get(_process_key(first), []) if first.get("pairing") == "defaults" else []
        meds = [float(r["median"]) for r in rows] + procs
        lows = [float(r.get("ci_low", r["median"])) for r in rows] + procs
        highs = [float(r.get("ci_high", r["median"])) for r in rows] + procs
        out.append({**first, "median": statistics.median(meds), "ci_low": min(lows), "ci_high": max(highs),
                    "repeat": None, "repeats": len(rows), "processes": len(procs),
                    "repeat_medians": [round(m, 4) for m in meds[:len(rows)]], "spread": round(spread(meds), 4)})
    return out


# A measurement's identity without its repeat (settings is a string, an object or null: compared by its JSON).
MEASUREMENT_FIELDS = ("backend", "flavour", "loop", "op", "payload", "settings", "pairing", "layout")


def combined_measurements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The measurement rows with each op's repeats folded into one row, as combined_ratios folds a ratio's: the p50
    is the median of the repeats' p50s, the interval the hull of their 95% CIs, `spread` how far the p50 moved
    between the repeats. One window's CI says how precisely that window was timed, not how far the op moves from
    window to window (SQLite's get_tuple_latest p50 0.02 then 0.05 ms in two windows of one quiet run, each CI a
    few µs wide): compared window by window, two runs of one commit flag such an op; folded, they do not."""
    import json

    groups: dict[tuple, list[dict[str, Any]]] = {}
    for m in doc.get("measurements") or []:
        if isinstance(m, dict) and isinstance(m.get("p50_ms"), (int, float)):
            key = tuple(json.dumps(m.get(k), sort_keys=True, default=str) for k in MEASUREMENT_FIELDS)
            groups.setdefault(key, []).append(m)
    out = []
    for rows in groups.values():
        rows = sorted(rows, key=lambda r: int(r.get("repeat") or 1))
        if len(rows) == 1:
            out.append({**rows[0], "spread": 0.0})
            continue
        p50s = [float(r["p50_ms"]) for r in rows]
        lows = [float(r.get("ci_low_ms") if r.get("ci_low_ms") is not None else r["p50_ms"]) for r in rows]
        highs = [float(r.get("ci_high_ms") if r.get("ci_high_ms") is not None else r["p50_ms"]) for r in rows]
        disk = [r.get("disk_fsync_p50_ms") for r in rows]
        folded = {**rows[0], "p50_ms": statistics.median(p50s), "ci_low_ms": min(lows), "ci_high_ms": max(highs),
                  "repeat": None, "repeats": len(rows), "repeat_p50s": [round(p, 4) for p in p50s],
                  "spread": round(spread(p50s), 4) if min(p50s) > 0 else 0.0}
        if all(isinstance(d, (int, float)) for d in disk):
            folded["disk_fsync_p50_ms"] = statistics.median(disk)
        out.append(folded)
    return out


def label(e: dict[str, Any]) -> str:
    return (f"{e['op']}[{e['payload']}] {e['flavour']}/{e.get('loop') or '-'} "
            f"{e['numerator']}÷{e['denominator']}")


def noise_line(doc: dict[str, Any]) -> str:
    """The machine during the headline cells, from the noise rows: other processes' CPU, load, steal."""
    windows = [n for n in doc.get("noise") or [] if n.get("kind") == "window"]
    rows = [n for n in windows if str(n.get("what", "")).startswith("headline")] or windows
    if not rows:
        return "machine noise not recorded"
    others = max((n.get("others_cpu_pct") or 0.0) for n in rows)
    loads = [n["load_before"][0] for n in rows if n.get("load_before")]
    steal = [n["steal_pct"] for n in rows if n.get("steal_pct") is not None]
    parts = [f"other processes used up to {others:.0f}% of a CPU"]
    if loads:
        parts.append(f"load before up to {max(loads):.1f} on {rows[0].get('cpus') or '?'} CPUs")
    if steal:
        parts.append(f"steal up to {max(steal):.1f}%")
    return ", ".join(parts)


def retimed(doc: dict[str, Any]) -> dict[str, Any]:
    """How many op windows were timed again because the machine's round trip moved in them
    (parity.measuring.disturbance), and how many were kept although still disturbed."""
    noise = [n for n in doc.get("noise") or [] if n.get("kind") == "retimed"]
    kept = [r for r in doc.get("measurements") or [] if r.get("disturbed")]
    windows = {(r.get("op"), r.get("payload"), r.get("flavour"), r.get("loop"), r.get("pairing"), r.get("repeat"),
                r.get("layout")) for r in kept}
    return {"retimed_windows": len(noise), "disturbed_kept": len(windows)}


def retimed_line(rep: dict[str, Any]) -> str:
    n, kept = rep.get("retimed_windows") or 0, rep.get("disturbed_kept") or 0
    if not n and not kept:
        return ""
    return (f"{n} op window(s) timed again because the bare round trip measured in the same window was more than "
            f"{disturbance.TOLERANCE:.0%} above the cell's median (the discarded windows are noise rows of kind retimed)"
            + (f"; {kept} kept although still disturbed after the retries (their rows say so)" if kept else ""))


def derive(doc: dict[str, Any]) -> dict[str, Any] | None:
    """doc["repeatability"], or None when no headline ratio was measured twice."""
    entries = spreads(doc)
    if not entries:
        return None
    t = target(doc)
    worst = entries[0]
    procs = sorted((n for n in doc.get("noise") or [] if n.get("kind") == "processes" and "spread" in n),
                   key=lambda n: -n["spread"])
    worst_proc = procs[0] if procs else None
    unpinned = sorted({e["layout"] or "not recorded" for e in entries if e.get("layout") != placement.HEADLINE})
    measured = max(t, worst["spread"], worst_proc["spread"] if worst_proc else 0.0)
    out: dict[str, Any] = {"target": t, "headline": entries, "worst": worst, "processes": procs,
                           "worst_processes": worst_proc, "exceeds_target": measured > t, "uncertainty": measured,
                           "pinned": not unpinned, **retimed(doc)}
    why = []
    if worst["spread"] > t:
        disk = (f", the disk's fsync p50 {' vs '.join(f'{d:.2f}' for d in worst['disk_fsync_p50_ms'])} ms"
                if worst.get("disk_fsync_p50_ms") else "")
        why.append(f"headline ratios moved up to {worst['spread']:.0%} between this run's repeats (target "
                   f"±{t:.0%}), worst {label(worst)} {' vs '.join(f'{m:.3g}' for m in worst['medians'])}{disk}; "
                   f"machine: {noise_line(doc)}")
    if worst_proc and worst_proc["spread"] > t:
        why.append(f"the same ratio in fresh processes moved up to {worst_proc['spread']:.0%} (target ±{t:.0%}): "
                   f"{label(worst_proc)} {' vs '.join(f'{m:.3g}' for m in worst_proc['medians'])}")
    if unpinned:
        out["uncertainty"] = measured * UNPINNED_FACTOR
        reasons = sorted({n.get("why") for n in doc.get("noise") or [] if n.get("why")})
        why.append(f"client and servers not pinned ({'; '.join(reasons) or ', '.join(unpinned)}): stated "
                   f"uncertainty doubled to ±{out['uncertainty']:.0%}")
    if why:
        out["why"] = "; ".join(why)
    return out


def banner(doc: dict[str, Any]) -> str:
    """The report's first line when the run's own noise exceeds its target; '' otherwise."""
    rep = doc.get("repeatability") or {}
    if not rep.get("exceeds_target"):
        return ""
    return f"NOISY RUN: {rep.get('why', '')}. Differences smaller than ±{rep['uncertainty']:.0%} are noise on this run."
