"""`parity compare OLD NEW`: did the Postgres÷Redis ratios (and, on the same CPU, the p50s) move significantly?"""

from __future__ import annotations

import json
from typing import Any

from parity import results
from parity.backends.builtin import REFERENCE
from parity.shadow.summary import dropped, reads_compared

# Every field that tells two rows of one run apart, or rows of different loops get compared. A ratio's repeats are
# folded into one row first (repeatability.combined_ratios: the headline median, the hull of the repeats' CIs).
# The CPU layout too: figures pinned to separate CPUs and figures placed by the scheduler are not comparable.
RATIO_KEY = ("op", "flavour", "loop", "payload", "pairing", "numerator", "denominator", "layout")
MEASUREMENT_KEY = ("backend", "flavour", "loop", "op", "payload", "settings", "pairing", "repeat", "layout")
CHANGES = ("regression", "improvement", "unchanged")


def compare(old_doc: dict[str, Any], new_doc: dict[str, Any], threshold: float = 0.10) -> list[dict[str, Any]]:
    """Rows for every ratio in both documents, plus p50 rows when both ran on the same CPU model.

    A ratio row is a regression when the Postgres÷Redis ratio drops (Redis got relatively slower) by more
    than `threshold` (relative) and the two 95% CIs do not overlap; an improvement is the mirror image.
    p50 rows have no CI, so only the threshold decides them (a higher p50 is a regression).
    """
    # A ratio measured twice in one run already moved by the runs' own repeat drift with no code change:
    # a change smaller than that is noise on this machine, whatever the within-run CIs say.
    threshold = effective_threshold(old_doc, new_doc, threshold)
    rows = [_ratio_row(key, old, new, threshold) for key, old, new in _pairs(old_doc, new_doc, "ratios", RATIO_KEY)]
    if same_machine(old_doc, new_doc):
        # Absolute times also move with the machine's load: by as much as its own floors (the bare round trips
        # and the harness's empty call) moved between the two runs, with no code change at all.
        p50_threshold = threshold + floor_drift(old_doc, new_doc)
        old_drift, new_drift = own_drift(old_doc), own_drift(new_doc)
        drift = {k: max(old_drift.get(k, 0.0), new_drift.get(k, 0.0)) for k in old_drift.keys() | new_drift.keys()}
        p50_rows = [_own_noise(_p50_row(key, old, new, p50_threshold), old, drift)
                    for key, old, new in _pairs(old_doc, new_doc, "measurements", MEASUREMENT_KEY)]
        rows += _while_busy(_beyond_opposite_moves(_with_the_cpu(p50_rows, p50_threshold)), old_doc, new_doc)
    return rows + shadow_rows(old_doc, new_doc, threshold) + replay_rows(old_doc, new_doc, threshold)


# A p50 from log2 buckets lies within (edge/2, edge]: a ratio of two edges is within 2x either way of the true
# ratio, so two runs' ratios are told apart only when they differ by more than 2 x 2 = 4x.
SHADOW_RATIO_RESOLUTION = 4.0


def shadow_rows(old_doc: dict[str, Any], new_doc: dict[str, Any], threshold: float) -> list[dict[str, Any]]:
    """Rows for two runs' `shadow` sections: divergence and drop rates (more is worse) and each op's p50 ratio
    candidate÷primary (higher is worse), moved only beyond the buckets' resolution."""
    old, new = old_doc.get("shadow"), new_doc.get("shadow")
    if not isinstance(old, dict) or not isinstance(new, dict):
        return []
    rows = [_rate_row("divergences per read compared", old.get("divergences", 0), reads_compared(old),
                      new.get("divergences", 0), reads_compared(new), threshold),
            _rate_row("dropped writes per mirrored write", dropped(old), _mirrored(old),
                      dropped(new), _mirrored(new), threshold)]
    o_ratio, n_ratio = old.get("latency_p50_ratio") or {}, new.get("latency_p50_ratio") or {}
    for op in sorted(set(o_ratio) & set(n_ratio)):
        o, n = o_ratio[op], n_ratio[op]
        moved = n / o if o else None
        change = ("unchanged" if moved is None or 1 / SHADOW_RATIO_RESOLUTION <= moved <= SHADOW_RATIO_RESOLUTION
                  else "regression" if moved > 1 else "improvement")
        rows.append({"kind": "traffic", "what": f"p50 {op} candidate÷primary", "old": (o, None, None),
                     "new": (n, None, None), "rel_change": _relative(o, n) or 0.0, "change": change})
    return [r for r in rows if r is not None]


def replay_rows(old_doc: dict[str, Any], new_doc: dict[str, Any], threshold: float) -> list[dict[str, Any]]:
    """Rows for two runs' `replay` sections, per target in both: the share of compared threads that diverged, and
    each read's target÷source latency ratio (with CIs: a change only beyond the threshold and with the CIs apart;
    a higher ratio is the target losing ground)."""
    old, new = old_doc.get("replay"), new_doc.get("replay")
    if not isinstance(old, dict) or not isinstance(new, dict):
        return []
    if old.get("flavour", "sync") != new.get("flavour", "sync"):  # another saver class each side: not comparable
        return []
    olds = {str(t.get("backend")): t for t in old.get("targets") or []}
    rows: list[dict[str, Any] | None] = []
    for t in new.get("targets") or []:
        name, o = str(t.get("backend")), olds.get(str(t.get("backend")))
        if o is None:
            continue
        rows.append(_rate_row(f"replay {name} diverged threads per thread compared", *_diverged(o), *_diverged(t),
                              threshold))
        o_ratios = {r.get("op"): r for r in o.get("ratios") or []}
        for r in t.get("ratios") or []:
            if r.get("op") in o_ratios:
                row = _ratio_row((), o_ratios[r["op"]], r, threshold)
                change = {"regression": "improvement", "improvement": "regression"}.get(row["change"], row["change"])
                rows.append({**row, "kind": "traffic", "what": f"replay {name} {r['op']} target÷source",
                             "change": change})  # _ratio_row reads a drop as worse; here a rise is
    return [r for r in rows if r is not None]


def _diverged(target: dict[str, Any]) -> tuple[int, int]:
    diverged = len(target.get("diverged_threads") or [])
    return diverged, int(target.get("verified") or 0) + diverged


def _mirrored(shadow: dict[str, Any]) -> int:
    return int((shadow.get("counts") or {}).get("mirrored_queued", 0)) + dropped(shadow)


def _rate_row(what: str, o_n: int, o_of: int, n_n: int, n_of: int, threshold: float) -> dict[str, Any] | None:
    """A rate (count / opportunities) of both runs; a change counts past the threshold, and a first divergence
    (or drop) after none always does: it is not noise but a new behaviour."""
    if not o_of or not n_of:
        return None
    o, n = o_n / o_of, n_n / n_of
    rel = _relative(o, n)
    if o == 0:
        change = "regression" if n > 0 else "unchanged"
    else:
        change = "unchanged" if abs(rel) <= threshold else "regression" if rel > 0 else "improvement"
    return {"kind": "traffic", "what": what, "old": (o, None, None), "new": (n, None, None),
            "rel_change": rel if rel is not None else (1.0 if n else 0.0), "change": change}


def _beyond_opposite_moves(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Between two runs of one commit, absolute times move both ways (disk and CPU contention from other work on
    the machine): a p50 that got 3x slower while another got 14x faster is that noise, not the code. A p50 change
    counts only when it is larger (as a factor) than every move in the opposite direction of the same comparison."""
    import math

    def factor(r: dict[str, Any]) -> float:
        return abs(math.log1p(r["rel_change"])) if r["rel_change"] > -1 else math.inf

    for change, opposite in (("regression", "improvement"), ("improvement", "regression")):
        noise = max((factor(r) for r in rows if r["change"] == opposite or
                     (r["change"] == "unchanged" and (r["rel_change"] < 0) == (change == "regression"))),
                    default=0.0)
        for r in rows:
            if r["change"] == change and factor(r) <= noise:
                r["change"], r["noise"] = "unchanged", f"within the opposite moves of this comparison (x{math.exp(noise):.2g})"
    return rows


FLOOR_KEY = ("backend", "what", "flavour", "loop", "pairing", "layout")


def floor_drift(old_doc: dict[str, Any], new_doc: dict[str, Any]) -> float:
    """How far the machine itself moved between the runs: the largest relative change of a floor's p50."""
    moved = [abs(rel) for _, old, new in _pairs(old_doc, new_doc, "floors", FLOOR_KEY)
             if (rel := _relative(old.get("p50_ms"), new.get("p50_ms"))) is not None]
    return max(moved, default=0.0)


def repeat_drift(doc: dict[str, Any]) -> float:
    """The run's own stated uncertainty of a headline ratio (parity.measuring.repeatability): its worst repeat
    spread, doubled when client and servers were not pinned; documents from before it: the put repeat."""
    rep = doc.get("repeatability")
    if isinstance(rep, dict) and isinstance(rep.get("uncertainty"), (int, float)):
        # The target itself is not noise: only what the run measured beyond it widens the threshold.
        return float(rep["uncertainty"]) if rep.get("exceeds_target") or not rep.get("pinned", True) else 0.0
    value = (doc.get("overhead") or {}).get("put_ratio_repeat_max_rel_diff")
    return float(value) if isinstance(value, (int, float)) else 0.0


def default_threshold(old_doc: dict[str, Any], new_doc: dict[str, Any]) -> float:
    """The threshold when the user names none: the runs' repeatability target (±10% quick, ±5% standard), the
    larger of the two; 10% for documents that do not state one."""
    targets = [(d.get("repeatability") or {}).get("target") for d in (old_doc, new_doc)]
    targets = [t for t in targets if isinstance(t, (int, float))]
    return max(targets) if targets else 0.10


def effective_threshold(old_doc: dict[str, Any], new_doc: dict[str, Any], threshold: float) -> float:
    return max(threshold, repeat_drift(old_doc), repeat_drift(new_doc))


def noise_lines(old_doc: dict[str, Any], new_doc: dict[str, Any]) -> list[str]:
    """A run whose own noise exceeded its target says so, here as at the top of its report."""
    from parity.measuring.repeatability import banner

    return [f"{name}: {text}" for name, d in (("old", old_doc), ("new", new_doc)) if (text := banner(d))]


def same_machine(old_doc: dict[str, Any], new_doc: dict[str, Any]) -> bool:
    old_cpu = (old_doc.get("machine") or {}).get("cpu_model")
    return bool(old_cpu) and old_cpu == (new_doc.get("machine") or {}).get("cpu_model")


def scope(old_doc: dict[str, Any], new_doc: dict[str, Any], threshold: float = 0.10) -> str:
    """One line saying what was compared and why."""
    drift = max(repeat_drift(old_doc), repeat_drift(new_doc))
    noise = (f"; ratio threshold raised to {drift:.0%}: the runs' own repeats of the headline ratios moved that much"
             " (or were not pinned)" if drift > threshold else "")
    if same_machine(old_doc, new_doc):
        floors = floor_drift(old_doc, new_doc)
        noise += (f"; p50s flagged only beyond {effective_threshold(old_doc, new_doc, threshold) + floors:.0%} "
                  f"(the floors moved {floors:.0%} between the runs) with their CIs apart")
        loads = [busy(old_doc), busy(new_doc)]
        if max(loads) > BUSY_CPU_PCT:
            noise += (f", and not at all: other processes kept up to {loads[0]:.0f}% (old) and {loads[1]:.0f}% (new) "
                      "of a CPU busy")
    return _scope(old_doc, new_doc) + noise


def _scope(old_doc: dict[str, Any], new_doc: dict[str, Any]) -> str:
    if same_machine(old_doc, new_doc):
        return f"ratios and absolute p50 (same CPU: {(old_doc.get('machine') or {}).get('cpu_model')})"
    cpus = [str((d.get("machine") or {}).get("cpu_model") or "unknown CPU") for d in (old_doc, new_doc)]
    return f"ratios only: absolute latencies are not comparable across machines ({cpus[0]} vs {cpus[1]})"


def has_regression(rows: list[dict[str, Any]]) -> bool:
    return any(r["change"] == "regression" for r in rows)


def format_comparison(rows: list[dict[str, Any]], scope_line: str = "") -> str:
    """Plain text for the terminal: regressions first, then improvements, then a count of unchanged rows."""
    lines = [f"compared: {scope_line}"] if scope_line else []
    for change in ("regression", "improvement"):
        picked = [r for r in rows if r["change"] == change]
        lines.append(f"{change}s: {len(picked)}")
        lines += [f"  {_label(r)}: {_fmt(r['old'])} -> {_fmt(r['new'])} ({r['rel_change']:+.0%})" for r in picked]
    explained = [r for r in rows if r["change"] == "unchanged" and r.get("noise")]
    lines.append(f"unchanged: {sum(1 for r in rows if r['change'] == 'unchanged')}"
                 + (f" ({len(explained)} of them moved, but by what the machine did, not the code)" if explained else ""))
    lines += [f"  {_label(r)}: {_fmt(r['old'])} -> {_fmt(r['new'])} ({r['rel_change']:+.0%}): {r['noise']}"
              for r in explained[:5]]
    return "\n".join(lines) + "\n"


def _rows(doc: dict[str, Any], section: str) -> list[dict[str, Any]]:
    if section == "ratios":
        from parity.measuring.repeatability import combined_ratios

        return combined_ratios(doc)
    return results.rows(doc, section)


def _pairs(old_doc: dict[str, Any], new_doc: dict[str, Any], section: str, key: tuple[str, ...]):
    old = {_key(r, key): r for r in _rows(old_doc, section)}
    for r in _rows(new_doc, section):
        k = _key(r, key)
        if k in old:
            yield k, old[k], r


def _key(row: dict[str, Any], fields: tuple[str, ...]) -> tuple[str, ...]:
    """A row's identity over `fields`, hashable whatever shape the schema allows a field (a measurement's
    `settings` is a string, an object or null): objects and lists by their sorted JSON, so key order is no
    difference."""
    return tuple(_canonical(row.get(f)) for f in fields)


def _canonical(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def _triple(row: dict[str, Any], m: str, lo: str, hi: str) -> tuple[float | None, float | None, float | None]:
    return (row.get(m), row.get(lo), row.get(hi))


def _disk_moved(old: dict[str, Any], new: dict[str, Any], rel: float | None, threshold: float) -> str | None:
    """Why a change is the disk's, not the code's: the disk's fsync p50 next to the op's window (recorded for
    writing ops) moved beyond the threshold in the direction that explains it. A durable commit waits for an
    fsync, so a Postgres or SQLite write figure follows the disk; on the 2-CPU VM this suite was built on, fsync
    took 0.2 ms with the VM's I/O budget left and 4.0 ms once other work had used it up."""
    a, b = old.get("disk_fsync_p50_ms"), new.get("disk_fsync_p50_ms")
    if rel is None or not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or a <= 0:
        return None
    disk = (b - a) / a
    if abs(disk) > threshold and (disk > 0) == (rel > 0):
        return f"the disk's fsync p50 beside it moved {a:.2f} -> {b:.2f} ms between the runs"
    return None


def _ratio_row(key: tuple, old: dict[str, Any], new: dict[str, Any], threshold: float) -> dict[str, Any]:
    o, n = _triple(old, "median", "ci_low", "ci_high"), _triple(new, "median", "ci_low", "ci_high")
    rel = _relative(o[0], n[0])
    overlap = _overlap(o, n)
    change, why = "unchanged", None
    if rel is not None and abs(rel) > threshold and overlap is False:
        # Postgres fsyncs at defaults and Redis does not: a slower disk raises the Postgres÷Redis ratio.
        why = _disk_moved(old, new, rel, threshold)
        change = "unchanged" if why else "regression" if rel < 0 else "improvement"  # lower ratio: Redis lost ground
    row = {"kind": "ratio", **dict(zip(RATIO_KEY, (old.get(f) for f in RATIO_KEY))), "old": o, "new": n,
           "rel_change": rel if rel is not None else 0.0, "ci_overlap": overlap, "change": change}
    if why:
        row["noise"] = why
    return row


def _p50_row(key: tuple, old: dict[str, Any], new: dict[str, Any], threshold: float) -> dict[str, Any]:
    """A p50 moved significantly only past the threshold (raised by the floors' drift) and with the two 95% CIs of
    the median apart; without CIs, nothing is called a change (a +420% on a 20 µs op was the run's own noise)."""
    o, n = _triple(old, "p50_ms", "ci_low_ms", "ci_high_ms"), _triple(new, "p50_ms", "ci_low_ms", "ci_high_ms")
    rel = _relative(o[0], n[0])
    overlap = _overlap(o, n)
    change, why = "unchanged", None
    if rel is not None and abs(rel) > threshold and overlap is False:
        # Any backend's write p50: which ones wait for the disk depends on their settings, so none is blamed for it.
        why = _disk_moved(old, new, rel, threshold)
        change = "unchanged" if why else "regression" if rel > 0 else "improvement"  # a higher latency is worse
    row = {"kind": "p50", **dict(zip(MEASUREMENT_KEY, (old.get(f) for f in MEASUREMENT_KEY))),
           "old": o, "new": n, "rel_change": rel if rel is not None else 0.0,
           "ci_overlap": overlap, "change": change}
    if why:
        row["noise"] = why
    return row


REPEAT_KEY = ("backend", "op", "payload", "flavour", "loop", "pairing", "settings", "layout")


def own_drift(doc: dict[str, Any]) -> dict[tuple[str, bool], float]:
    """How far one backend's absolute p50 moved between the repeats of one op within this run, per (backend,
    writing op or not): the run's own evidence of what its times do with no code change. On the 2-CPU VM this
    was built on, SQLite's put_writes p50 moved 0.185 -> 0.344 ms between two repeats of one run (its commits wait
    for a bimodal disk), so a +31% delete_thread between two runs is not the code's."""
    groups: dict[tuple, list[float]] = {}
    for m in results.rows(doc, "measurements"):
        if isinstance(m.get("p50_ms"), (int, float)) and m["p50_ms"] > 0:
            groups.setdefault(_key(m, REPEAT_KEY) + (m.get("op_kind") != "read",), []).append(m["p50_ms"])
    out: dict[tuple[str, bool], float] = {}
    for key, values in groups.items():
        if len(values) >= 2:
            k = (str(key[0]), bool(key[-1]))
            out[k] = max(out.get(k, 0.0), max(values) / min(values) - 1)
    return out


SPEED_KEY = ("flavour", "loop", "op", "payload", "pairing", "repeat", "layout")


def _with_the_cpu(rows: list[dict[str, Any]], threshold: float) -> list[dict[str, Any]]:
    """p50 changes that the machine's own speed explains. The in-memory reference saver's op runs only Python in
    the suite's process, so its p50 moves with the CPU the machine gave it, not with any server: on the 2-CPU VM
    this was built on, a whole run came out 20-30% slower than one of the same commit an hour before (InMemorySaver
    list_10 0.068 -> 0.081 ms; steal 0.01%, no other process). Where the reference's same op moved significantly
    (beyond the threshold, CIs apart), another backend's change in the same direction is the machine's unless it
    exceeds the reference's move by more than the threshold. The reference's own row is judged as it is."""
    speed = {_key(r, SPEED_KEY): r["rel_change"] for r in rows
             if r.get("backend") == REFERENCE and r["ci_overlap"] is False and abs(r["rel_change"]) > threshold}
    for r in rows:
        moved = speed.get(_key(r, SPEED_KEY))
        if r["change"] not in ("regression", "improvement") or r.get("backend") == REFERENCE or moved is None:
            continue
        if (moved > 0) == (r["rel_change"] > 0) and abs((1 + r["rel_change"]) / (1 + moved) - 1) <= threshold:
            r["change"], r["noise"] = "unchanged", (f"the in-memory saver's {r.get('op')} (only this process's CPU) "
                                                    f"moved {moved:+.0%} between the runs: the machine's speed")
    return rows


def _own_noise(row: dict[str, Any], old: dict[str, Any], drift: dict[tuple[str, bool], float]) -> dict[str, Any]:
    """A p50 change within what the same backend's same kind of op moved between repeats of one run is not a change."""
    if row["change"] not in ("regression", "improvement"):
        return row
    moved = drift.get((str(old.get("backend")), old.get("op_kind") != "read"), 0.0)
    if abs(row["rel_change"]) <= moved:
        kind = "writing" if old.get("op_kind") != "read" else "reading"
        row["change"], row["noise"] = "unchanged", (f"{old.get('backend')}'s {kind} ops moved up to {moved:.0%} "
                                                    "between the repeats of one run")
    return row


# Other processes keeping this much of a CPU busy during a run (its noise windows, parity.measuring.noise) make its
# absolute times incomparable with another run's: on the 2-CPU VM this was built on, 94% of a CPU taken by other
# work moved SQLite's put p50 +21% between two runs of one commit. Ratios are measured interleaved within a run,
# so both sides saw the same machine: they stay judged.
BUSY_CPU_PCT = 25.0


def busy(doc: dict[str, Any]) -> float:
    """The most of a CPU (%) other processes used during one of the run's measurement windows."""
    return max((float(n.get("others_cpu_pct") or 0.0) for n in results.rows(doc, "noise") if n.get("kind") == "window"),
               default=0.0)


def _while_busy(rows: list[dict[str, Any]], old_doc: dict[str, Any], new_doc: dict[str, Any]) -> list[dict[str, Any]]:
    """p50 changes of runs during which other processes kept the machine busy are the machine's, not the code's."""
    loads = {"old": busy(old_doc), "new": busy(new_doc)}
    which = [f"{k} run {v:.0f}%" for k, v in loads.items() if v > BUSY_CPU_PCT]
    if not which:
        return rows
    for r in rows:
        if r["change"] in ("regression", "improvement"):
            r["change"], r["noise"] = "unchanged", (f"other processes kept up to {' and '.join(which)} of a CPU busy "
                                                    f"(over {BUSY_CPU_PCT:.0f}%): absolute times not comparable")
    return rows


def _relative(old: Any, new: Any) -> float | None:
    if not isinstance(old, (int, float)) or not isinstance(new, (int, float)) or old == 0:
        return None
    return (new - old) / old


def _overlap(o: tuple, n: tuple) -> bool | None:
    """Whether two CIs overlap; None when either CI is missing (then nothing is called significant)."""
    if None in (o[1], o[2], n[1], n[2]):
        return None
    return not (o[2] < n[1] or n[2] < o[1])


def _label(r: dict[str, Any]) -> str:
    if r["kind"] == "traffic":  # shadow and replay rows say what they compare
        return r["what"] if r["what"].startswith("replay") else f"shadow {r['what']}"
    if r["kind"] == "ratio":
        loop = f"/{r['loop']}" if r.get("loop") else ""
        return f"ratio {r['op']} {r['flavour']}{loop} {r['payload']} {r['numerator']}÷{r['denominator']} {r['pairing']}"
    loop = f"/{r['loop']}" if r.get("loop") else ""
    return f"p50 {r['backend']} {r['op']} {r['flavour']}{loop} {r['payload']} {r.get('pairing') or ''}".rstrip()


def _fmt(t: tuple) -> str:
    m, lo, hi = t
    if lo == m == hi or lo is None or hi is None:
        return f"{m:.3g}" if isinstance(m, (int, float)) else str(m)
    return f"{m:.3g} [{lo:.3g}, {hi:.3g}]"
