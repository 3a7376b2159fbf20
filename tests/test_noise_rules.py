"""Each noise rule of `parity compare` on real documents (tests/fixtures/results_corpus): what it explains away, and
that compare's output says so. Each test takes a real run and changes only the figures the rule reads (said in the
test), so the rule is seen deciding alone; the last test runs the real same-code pair as it is."""

from __future__ import annotations

import copy
import gzip
import json

import pytest

from parity.compare import compare, format_comparison, scope
from parity.measuring import repeatability
from parity.noise_rules import BUSY_CPU_PCT, RULES, busy
from tests.results_corpus import CORPUS

THRESHOLD = 0.10


def corpus(name: str) -> dict:
    return json.loads(gzip.decompress((CORPUS / f"{name}.json.gz").read_bytes()))


@pytest.fixture(scope="module")
def real() -> dict:
    return corpus("bench-quick-a")


def quiet(doc: dict) -> dict:
    """The same run with the rules that read the whole run's noise switched off: no other process busy in its
    windows, its repeats within target (so neither the busy-machine nor the repeats rule decides)."""
    d = copy.deepcopy(doc)
    for n in d.get("noise", []):
        if n.get("kind") == "window":
            n["others_cpu_pct"] = 0.0
    # No run-level noise statement: a figure timed once is then judged on its own CIs (a run that states its
    # repeatability leaves its figures timed once unjudged: test_timed_once), so each other rule is seen alone.
    d.pop("repeatability", None)
    return d


def steady(doc: dict) -> dict:
    """...and each measurement's repeats equal to its first (no own drift), each write's fsync the same."""
    d = quiet(doc)
    first: dict[tuple, dict] = {}
    for m in d["measurements"]:
        k = (m["backend"], m["op"], m["payload"], m["flavour"], m.get("loop"), m["pairing"], m.get("layout"))
        f = first.setdefault(k, m)
        for field in ("p50_ms", "ci_low_ms", "ci_high_ms"):
            m[field] = f.get(field)
    return d


def scaled(doc: dict, pick, factor: float, fields=("p50_ms", "ci_low_ms", "ci_high_ms")) -> dict:
    d = copy.deepcopy(doc)
    for m in d["measurements"]:
        if pick(m):
            for f in fields:
                if isinstance(m.get(f), (int, float)):
                    m[f] *= factor
    return d


def apart(doc: dict, pick) -> float:
    """A factor that moves the picked rows' p50s clear of their own 95% CIs (a busy run's CIs are wide), so the
    move is significant before any rule looks at it."""
    widths = [m["ci_high_ms"] / m["ci_low_ms"] for m in doc["measurements"] if pick(m) and m.get("ci_low_ms")]
    return max(1.5, max(widths, default=1.0) * 1.1)


def p50s(rows: list[dict], **match) -> list[dict]:
    return [r for r in rows if r["kind"] == "p50" and all(r.get(k) == v for k, v in match.items())]


def sqlite_put(m: dict) -> bool:
    return m["backend"] == "sqlite" and m["op"] == "put" and m["payload"] == "1KB"


def test_the_corpus_runs_carry_what_the_rules_read(real):
    assert real["measurements"] and real["floors"] and real["noise"] and real["repeatability"]
    assert any(isinstance(m.get("settings"), dict) for m in real["measurements"]), "real rows carry settings objects"
    assert any(isinstance(m.get("disk_fsync_p50_ms"), (int, float)) for m in real["measurements"])


def test_busy_machine(real):
    """A run during which other processes kept over 25% of a CPU busy: its p50 changes are not judged, and each
    one it would have flagged is listed under the rule. Real run: its own noise windows, as measured."""
    old = steady(real)
    new = scaled(old, sqlite_put, apart(old, sqlite_put))
    assert any(r["change"] == "regression" for r in p50s(compare(old, new, THRESHOLD), backend="sqlite", op="put"))
    windows = [n for n in real["noise"] if n.get("kind") == "window"]
    busy_new = copy.deepcopy(new)
    busy_new["noise"] = copy.deepcopy(windows)
    for n in busy_new["noise"]:
        n["others_cpu_pct"] = max(float(n.get("others_cpu_pct") or 0), BUSY_CPU_PCT + 1)
    rows = compare(old, busy_new, THRESHOLD)
    hit = [r for r in p50s(rows, backend="sqlite", op="put", payload="1KB") if r.get("suppressed")]
    assert hit and all(r["suppressed_by"] == "busy machine" for r in hit), hit
    assert not [r for r in rows if r["kind"] == "p50" and r["change"] != "unchanged"]
    text = format_comparison(rows, scope(old, busy_new, THRESHOLD))
    assert f"busy machine ({RULES['busy machine']}): " in text and "was a regression" in text, text
    assert f"{busy(busy_new):.0f}%" in text


def test_timed_once(real):
    """In a run that measured its noise on the figures it repeated, a figure it timed once is not judged: nothing
    says how far it moves between windows (single-window ratios moved 28-36% between two quiet runs of one commit).
    Real run: every ratio moved 0.3x; the ones timed once are listed under the rule, the repeated ones flagged."""
    old = copy.deepcopy(real)
    old["repeatability"] = {**real["repeatability"], "exceeds_target": False, "pinned": True}
    new = copy.deepcopy(old)
    for r in new["ratios"]:
        r.update(median=r["median"] * 0.3, ci_low=r["ci_low"] * 0.3, ci_high=r["ci_high"] * 0.3)
    rows = [r for r in compare(old, new, THRESHOLD) if r["kind"] == "ratio" and r["ci_overlap"] is False]
    once = [r for r in rows if r.get("suppressed_by") == "repeats" and "timed once" in r["noise"]]
    assert once and rows and len(once) < len(rows), (len(once), len(rows))
    assert "timed once in the run: no spread of its own measured, not judged" in format_comparison(rows)


def test_busy_window_ratios(real):
    """A ratio measured while other processes kept over 25% of a CPU busy in its flavour's headline window is
    contended: its change is not judged and is listed under the rule; the other flavours' ratios still are.
    Real run: its ratios moved 0.3x; only the async/uvloop window made busy."""
    old = quiet(real)
    new = copy.deepcopy(old)
    for r in new["ratios"]:
        r.update(median=r["median"] * 0.3, ci_low=r["ci_low"] * 0.3, ci_high=r["ci_high"] * 0.3)
    for n in new["noise"]:
        if n.get("what") == "headline async/uvloop":
            n["others_cpu_pct"] = BUSY_CPU_PCT + 1
    rows = [r for r in compare(old, new, THRESHOLD) if r["kind"] == "ratio" and r["ci_overlap"] is False]
    uvloop = [r for r in rows if r["loop"] == "uvloop"]
    assert uvloop and all(r["change"] == "unchanged" for r in uvloop), uvloop
    # each is explained: by the busy window, or already by its own spread between repeats (a real busy run's
    # graph_step moved up to 100% between its repeats), a rule that judges before this one
    busy_hit = [r for r in uvloop if r["suppressed_by"] == "busy machine"]
    assert busy_hit and all("this flavour's window" in r["noise"] for r in busy_hit), uvloop
    assert all(r["suppressed_by"] in ("busy machine", "repeats") for r in uvloop), uvloop
    assert any(r["change"] == "regression" for r in rows if r["flavour"] == "sync")


def test_own_drift(real):
    """A backend whose writes moved by X between the repeats of one run: a change of its writes within X is that
    drift. The old run's second repeat of sqlite put_writes moved by twice the factor the new run's put moves."""
    old = steady(real)
    factor = apart(old, sqlite_put)
    assert any(r["change"] == "regression"
               for r in p50s(compare(old, scaled(old, sqlite_put, factor), THRESHOLD), backend="sqlite", op="put"))
    drifting = scaled(old, lambda m: m["backend"] == "sqlite" and m["op"] == "put_writes" and m.get("repeat") == 2,
                      2 * factor)
    rows = compare(drifting, scaled(drifting, sqlite_put, factor), THRESHOLD)
    hit = [r for r in p50s(rows, backend="sqlite", op="put", payload="1KB") if r["ci_overlap"] is False]
    assert hit and all(r["suppressed_by"] == "own drift" for r in hit), hit
    assert f"moved up to {2 * factor - 1:.0%} between the repeats of one run" in format_comparison(rows)


def test_floors(real):
    """The machine's floors (bare round trips, the empty call) moved more than a p50 did between the runs: a p50
    change within the threshold plus that is the machine's."""
    old = steady(real)
    factor = apart(old, sqlite_put)
    new = scaled(old, sqlite_put, factor)
    for f in new["floors"]:
        f["p50_ms"] *= factor + 0.5
    rows = compare(old, new, THRESHOLD)
    hit = [r for r in p50s(rows, backend="sqlite", op="put", payload="1KB") if r["ci_overlap"] is False]
    assert hit and all(r["suppressed_by"] == "floors" for r in hit), hit
    assert f"the floors moved {factor - 0.5:.0%} between the runs" in scope(old, new, THRESHOLD)


def test_fsync(real):
    """A write that got slower while the disk's fsync beside it got slower too, by at least as many milliseconds, is
    the disk's; the same direction by too few milliseconds explains nothing (a commit waits for one fsync). Real
    rows: the fsync figure recorded beside each write window."""
    old = steady(real)
    writes = lambda m: sqlite_put(m) and isinstance(m.get("disk_fsync_p50_ms"), (int, float))  # noqa: E731
    assert any(writes(m) for m in old["measurements"])
    new = scaled(old, writes, apart(old, writes))

    def fsync_moved(by_ms_share: float) -> dict:  # each write's fsync slower by that share of its p50's move
        d = copy.deepcopy(new)
        for m, o in zip(d["measurements"], old["measurements"]):
            if writes(m):
                m["disk_fsync_p50_ms"] = o["disk_fsync_p50_ms"] * 1.5 + by_ms_share * (m["p50_ms"] - o["p50_ms"])
        return d
    rows = compare(old, fsync_moved(2.0), THRESHOLD)
    hit = [r for r in p50s(rows, backend="sqlite", op="put", payload="1KB") if r.get("suppressed")]
    assert hit and all(r["suppressed_by"] == "fsync" for r in hit), hit
    assert "the disk's fsync p50 beside it moved" in format_comparison(rows)
    rows = compare(old, fsync_moved(0.0), THRESHOLD)
    assert not [r for r in p50s(rows, backend="sqlite", op="put", payload="1KB") if r.get("suppressed_by") == "fsync"]


def test_opposite_moves(real):
    """One p50 slower by a factor while another got faster by a larger one in the same comparison: the slower one
    is within the noise of this pair of runs; the larger move stays flagged."""
    old = steady(real)
    faster = lambda m: m["backend"] == "sqlite" and m["op"] == "list_10"  # noqa: E731
    factor = max(apart(old, sqlite_put), apart(old, faster))
    new = scaled(scaled(old, sqlite_put, factor), faster, 1 / (2 * factor))
    rows = compare(old, new, THRESHOLD)
    slower = [r for r in p50s(rows, backend="sqlite", op="put", payload="1KB") if r["ci_overlap"] is False]
    assert slower and all(r["suppressed_by"] == "opposite moves" for r in slower), slower
    assert any(r["change"] == "improvement" for r in p50s(rows, backend="sqlite", op="list_10"))


def test_cpu_speed(real):
    """The in-memory saver's op (only this process's CPU) slower by a factor, and another backend's same op as
    much: the machine's speed, not the saver's."""
    old = steady(real)
    same_op = lambda m: m["op"] == "put" and m["payload"] == "1KB" and m["backend"] in ("memory", "sqlite")  # noqa: E731
    rows = compare(old, scaled(old, same_op, apart(old, same_op)), THRESHOLD)
    hit = [r for r in p50s(rows, backend="sqlite", op="put", payload="1KB") if r["ci_overlap"] is False]
    assert hit and all(r["suppressed_by"] == "cpu speed" for r in hit), hit
    assert all(r["change"] == "regression" for r in p50s(rows, backend="memory", op="put", payload="1KB"))


def test_repeats(real):
    """A ratio that moved less than its own repeats moved within one run is that noise: the same move between two
    runs whose repeats of it agreed is a regression (real ratios, scaled 0.3x; the noisy copy puts one repeat of
    each put ratio 2x away from the other in both runs, so each figure's own spread, 100%, exceeds the move, while
    the two runs' hulls of the repeats' CIs stay apart)."""
    def moved(doc: dict) -> dict:
        d = copy.deepcopy(doc)
        for r in d["ratios"]:
            if r["op"] == "put":
                r.update(median=r["median"] * 0.3, ci_low=r["ci_low"] * 0.3, ci_high=r["ci_high"] * 0.3)
        return d

    def agreeing(doc: dict) -> dict:  # every repeat of a ratio equal to its first: no own spread
        d = copy.deepcopy(doc)
        first: dict[tuple, dict] = {}
        for r in d["ratios"]:
            f = first.setdefault(tuple(r.get(k) for k in ("op", "payload", "flavour", "loop", "pairing", "numerator",
                                                           "denominator", "layout")), r)
            r.update(median=f["median"], ci_low=f["ci_low"], ci_high=f["ci_high"])
        return d

    def spread_out(doc: dict) -> dict:
        d = copy.deepcopy(doc)
        for r in d["ratios"]:
            if r["op"] == "put" and int(r.get("repeat") or 1) == 2:
                r.update(median=r["median"] * 2, ci_low=r["ci_low"] * 2, ci_high=r["ci_high"] * 2)
        return d
    narrow = lambda r: r["kind"] == "ratio" and r["op"] == "put" and r["ci_overlap"] is False  # noqa: E731
    old = agreeing(quiet(real))
    assert [r for r in compare(old, moved(old), THRESHOLD) if narrow(r)]
    assert all(r["change"] == "regression" for r in compare(old, moved(old), THRESHOLD) if narrow(r))
    noisy = spread_out(old)
    rows = compare(noisy, moved(noisy), THRESHOLD)
    ident = lambda r: tuple(r.get(k) for k in repeatability.KEY)  # noqa: E731
    twice = {ident(r) for r in noisy["ratios"] if r["op"] == "put" and int(r.get("repeat") or 1) == 2}
    put = [r for r in rows if r["kind"] == "ratio" and r["op"] == "put"]
    assert twice and put
    for r in put:  # a figure timed once has no own spread: the rule never explains its move away
        repeated = ident(r) in twice
        assert r["change"] != "regression" if repeated else r.get("suppressed_by") != "repeats", (repeated, r)
    assert any(r.get("suppressed_by") == "repeats" for r in put)
    assert "within the figure's own spread between the repeats of one run" in format_comparison(rows)
    assert "its own spread between repeats 100% (old) and its own spread between repeats 100% (new)" in \
        format_comparison(rows)


def test_the_real_same_code_pair_lists_every_change_it_explained_away():
    """Two real quick runs of one commit: whatever moved beyond the threshold with CIs apart and was not flagged is
    listed, by rule, with the figures; nothing moved beyond the threshold goes unmentioned."""
    a, b = corpus("bench-quick-a"), corpus("bench-quick-b")
    rows = compare(a, b, THRESHOLD)
    text = format_comparison(rows, scope(a, b, THRESHOLD))
    significant = [r for r in rows if r["kind"] in ("ratio", "p50") and abs(r["rel_change"]) > THRESHOLD
                   and r["ci_overlap"] is False]
    for r in significant:
        assert r["change"] != "unchanged" or r.get("suppressed_by") in RULES, r
    hidden = [r for r in rows if r.get("suppressed_by")]
    assert (f"suppressed: {len(hidden)} " in text) == bool(hidden), text


def test_replay_ratios_timed_once_in_a_bench_run_are_not_judged(real):
    """The shadow demo's replay ratios in a bench run are timed once: held to the timed-once rule like a headline
    figure. A `parity replay` document (no repeatability statement) is still judged on its CIs."""
    new = copy.deepcopy(real)
    for t in new["replay"]["targets"]:
        for r in t.get("ratios") or []:
            r.update(median=r["median"] * 3, ci_low=r["ci_low"] * 3, ci_high=r["ci_high"] * 3)
    rows = [r for r in compare(real, new, THRESHOLD) if str(r.get("what", "")).startswith("replay ")
            and "target÷source" in r["what"]]
    assert rows and all(r["change"] == "unchanged" for r in rows), rows
    apart = [r for r in rows if r["ci_overlap"] is False]  # the moves a CI alone would have flagged
    assert apart and all(r["suppressed_by"] == "repeats" and "timed once" in r["noise"] for r in apart), rows
    bare_old, bare_new = copy.deepcopy(real), new
    bare_old.pop("repeatability"), bare_new.pop("repeatability")
    judged = [r for r in compare(bare_old, bare_new, THRESHOLD) if "target÷source" in str(r.get("what", ""))]
    assert any(r["change"] == "regression" for r in judged), judged
