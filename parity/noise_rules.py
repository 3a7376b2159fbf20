"""The noise rules of `parity compare`: each turns a change the machine explains into "unchanged", and says so.

A rule never deletes a row: it sets `change` to "unchanged" and names itself (`suppressed_by`, one of RULES) with the
figures that explained the move (`noise`), so compare's output lists every change that was explained away and a user
can see a real regression hidden by a noisy runner.
"""

from __future__ import annotations

import math
from typing import Any

from parity import results
from parity.backends.builtin import REFERENCE

# rule id -> what it says about the runs (compare's output groups suppressed rows under these words)
RULES = {
    "repeats": "within the figure's own spread between the repeats of one run, or the run's stated uncertainty; "
               "a figure timed once in a run that measured its noise on repeats is not judged",
    "floors": "within how far the machine's floors (bare round trips, empty call) moved between the runs",
    "fsync": "the disk's fsync beside the op moved the same way",
    "own drift": "within what the same backend's ops moved between repeats of one run",
    "cpu speed": "the in-memory saver (only this process's CPU) moved the same way",
    "opposite moves": "no larger than the moves the other way in the same comparison",
    "busy machine": "other processes kept a CPU busy during a run: absolute times (and a contended window's "
                    "ratios) not comparable",
}
CHANGED = ("regression", "improvement")


def suppress(row: dict[str, Any], rule: str, why: str) -> dict[str, Any]:
    """Mark a flagged row as explained by `rule` (a key of RULES); rows already unchanged are left as they are."""
    if row["change"] in CHANGED:
        row["suppressed"], row["change"] = row["change"], "unchanged"
        row["suppressed_by"], row["noise"] = rule, why
    return row


def relative(old: Any, new: Any) -> float | None:
    if not isinstance(old, (int, float)) or not isinstance(new, (int, float)) or old == 0:
        return None
    return (new - old) / old


def repeat_drift(doc: dict[str, Any]) -> float:
    """The run's own stated uncertainty of a headline ratio (parity.measuring.repeatability): its worst repeat
    spread, doubled when client and servers were not pinned; documents from before it: the put repeat."""
    rep = doc.get("repeatability")
    if isinstance(rep, dict) and isinstance(rep.get("uncertainty"), (int, float)):
        # The target itself is not noise: only what the run measured beyond it widens the threshold.
        return float(rep["uncertainty"]) if rep.get("exceeds_target") or not rep.get("pinned", True) else 0.0
    value = (doc.get("overhead") or {}).get("put_ratio_repeat_max_rel_diff")
    return float(value) if isinstance(value, (int, float)) else 0.0


def disk_moved(old: dict[str, Any], new: dict[str, Any], rel: float | None, threshold: float,
               op_ms: float | None = None) -> str | None:
    """Why a change is the disk's, not the code's: the disk's fsync p50 next to the op's window (recorded for
    writing ops) moved beyond the threshold in the direction that explains it, and by enough milliseconds. A durable
    commit waits for an fsync, so a Postgres or SQLite write figure follows the disk; on the 2-CPU VM this suite was
    built on, fsync took 0.2 ms with the VM's I/O budget left and 4.0 ms once other work had used it up. A commit
    waits for one fsync, so the disk moves an op of `op_ms` (its p50 in the old run; for a ratio, the faster side's)
    by at most the fsync's own move: an fsync 0.29 -> 0.23 ms does not explain a 0.6 ms put moving 32% (a quiet
    run's calibration, put slowed 40% on the client, was explained away so)."""
    a, b = old.get("disk_fsync_p50_ms"), new.get("disk_fsync_p50_ms")
    if rel is None or not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or a <= 0:
        return None
    disk = (b - a) / a
    if abs(disk) <= threshold or (disk > 0) != (rel > 0):
        return None
    if op_ms and abs(rel) > threshold + abs(b - a) / op_ms:
        return None
    return (f"the disk's fsync p50 beside it moved {a:.2f} -> {b:.2f} ms between the runs"
            + (f", up to {abs(b - a) / op_ms:.0%} of a {op_ms:.2g} ms op" if op_ms else ""))


def own_drift(doc: dict[str, Any], key) -> dict[tuple[str, bool], float]:
    """How far one backend's absolute p50 moved between the repeats of one op within this run, per (backend,
    writing op or not): the run's own evidence of what its times do with no code change. On the 2-CPU VM this
    was built on, SQLite's put_writes p50 moved 0.185 -> 0.344 ms between two repeats of one run (its commits wait
    for a bimodal disk), so a +31% delete_thread between two runs is not the code's. `key(row)` is a measurement's
    identity without its repeat (hashable whatever shape the schema allows its fields)."""
    groups: dict[tuple, list[float]] = {}
    for m in results.rows(doc, "measurements"):
        if isinstance(m.get("p50_ms"), (int, float)) and m["p50_ms"] > 0:
            groups.setdefault(key(m) + (m.get("op_kind") != "read",), []).append(m["p50_ms"])
    out: dict[tuple[str, bool], float] = {}
    for k, values in groups.items():
        if len(values) >= 2:
            which = (str(k[0]), bool(k[-1]))
            out[which] = max(out.get(which, 0.0), max(values) / min(values) - 1)
    return out


def own_noise(row: dict[str, Any], old: dict[str, Any], drift: dict[tuple[str, bool], float]) -> dict[str, Any]:
    """A p50 change within what the same backend's same kind of op moved between repeats of one run is not a change."""
    moved = drift.get((str(old.get("backend")), old.get("op_kind") != "read"), 0.0)
    if abs(row["rel_change"]) <= moved:
        kind = "writing" if old.get("op_kind") != "read" else "reading"
        suppress(row, "own drift", f"{old.get('backend')}'s {kind} ops moved up to {moved:.0%} between the repeats "
                                   "of one run")
    return row


def with_the_cpu(rows: list[dict[str, Any]], threshold: float, key) -> list[dict[str, Any]]:
    """p50 changes that the machine's own speed explains. The in-memory reference saver's op runs only Python in
    the suite's process, so its p50 moves with the CPU the machine gave it, not with any server: on the 2-CPU VM
    this was built on, a whole run came out 20-30% slower than one of the same commit an hour before (InMemorySaver
    list_10 0.068 -> 0.081 ms; steal 0.01%, no other process). Where the reference's same op moved significantly
    (beyond the threshold, CIs apart), another backend's change in the same direction is the machine's unless it
    exceeds the reference's move by more than the threshold. The reference's own row is judged as it is.
    `key(row)` is the op's identity without its backend."""
    speed = {key(r): r["rel_change"] for r in rows
             if r.get("backend") == REFERENCE and r["ci_overlap"] is False and abs(r["rel_change"]) > threshold}
    for r in rows:
        moved = speed.get(key(r))
        if r["change"] not in CHANGED or r.get("backend") == REFERENCE or moved is None:
            continue
        if (moved > 0) == (r["rel_change"] > 0) and abs((1 + r["rel_change"]) / (1 + moved) - 1) <= threshold:
            suppress(r, "cpu speed", f"the in-memory saver's {r.get('op')} (only this process's CPU) moved "
                                     f"{moved:+.0%} between the runs: the machine's speed")
    return rows


def beyond_opposite_moves(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Between two runs of one commit, absolute times move both ways (disk and CPU contention from other work on
    the machine): a p50 that got 3x slower while another got 14x faster is that noise, not the code. A p50 change
    counts only when it is larger (as a factor) than every move in the opposite direction of the same comparison."""
    def factor(r: dict[str, Any]) -> float:
        return abs(math.log1p(r["rel_change"])) if r["rel_change"] > -1 else math.inf

    for change, opposite in (("regression", "improvement"), ("improvement", "regression")):
        noise = max((factor(r) for r in rows if r["change"] == opposite or
                     (r["change"] == "unchanged" and (r["rel_change"] < 0) == (change == "regression"))),
                    default=0.0)
        for r in rows:
            if r["change"] == change and factor(r) <= noise:
                suppress(r, "opposite moves", f"within the opposite moves of this comparison (x{math.exp(noise):.2g})")
    return rows


# Other processes keeping this much of a CPU busy during a run (its noise windows, parity.measuring.noise) make its
# absolute times incomparable with another run's: on the 2-CPU VM this was built on, 94% of a CPU taken by other
# work moved SQLite's put p50 +21% between two runs of one commit. Ratios are measured interleaved within a run,
# so both sides saw the same machine: they stay judged.
BUSY_CPU_PCT = 25.0


def busy(doc: dict[str, Any]) -> float:
    """The most of a CPU (%) other processes used during one of the run's measurement windows."""
    return max((float(n.get("others_cpu_pct") or 0.0) for n in results.rows(doc, "noise") if n.get("kind") == "window"),
               default=0.0)


def window_busy(doc: dict[str, Any], flavour: Any, loop: Any) -> float | None:
    """How much of a CPU (%) other processes used during the headline window of this flavour and loop (the whole
    benchmark's window when there is none); None when the run did not record it."""
    windows = {str(n.get("what")): float(n.get("others_cpu_pct") or 0.0) for n in results.rows(doc, "noise")
               if n.get("kind") == "window"}
    return windows.get(f"headline {flavour}/{loop or '-'}", windows.get("all benchmarks"))


def ratios_while_busy(rows: list[dict[str, Any]], old_doc: dict[str, Any], new_doc: dict[str, Any]) -> None:
    """Ratio changes measured while other processes kept a CPU busy in that flavour's window. Both backends of a
    ratio are timed in the same window, which cancels a slower machine, but not a contended one: on the 2-vCPU VM
    this was built on, client and servers pinned one CPU each, a same-code run whose async/uvloop window had other
    processes at 64% of a CPU moved graph_step postgres÷redis 0.90 -> 1.43 (others 5-10% in the runs it was
    compared with)."""
    for r in rows:
        loads = {k: window_busy(d, r.get("flavour"), r.get("loop")) for k, d in (("old", old_doc), ("new", new_doc))}
        which = [f"{k} run {v:.0f}%" for k, v in loads.items() if v is not None and v > BUSY_CPU_PCT]
        if which:
            suppress(r, "busy machine", f"other processes kept up to {' and '.join(which)} of a CPU busy in this "
                                        f"flavour's window (over {BUSY_CPU_PCT:.0f}%): contended, not comparable")


def while_busy(rows: list[dict[str, Any]], old_doc: dict[str, Any], new_doc: dict[str, Any]) -> list[dict[str, Any]]:
    """p50 changes of runs during which other processes kept the machine busy are the machine's, not the code's."""
    loads = {"old": busy(old_doc), "new": busy(new_doc)}
    which = [f"{k} run {v:.0f}%" for k, v in loads.items() if v > BUSY_CPU_PCT]
    if which:
        for r in rows:
            suppress(r, "busy machine", f"other processes kept up to {' and '.join(which)} of a CPU busy (over "
                                        f"{BUSY_CPU_PCT:.0f}%): absolute times not comparable")
    return rows
