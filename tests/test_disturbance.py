"""An op window whose bare round trip moved is timed again; what it measured stays in the results as noise."""

from __future__ import annotations

import time

from parity.measuring import disturbance, latency, repeatability
from parity.measuring.latency import Conditions
from parity.measuring.ops import Op
from parity.measuring.runner import run_sync
from parity.measuring.timing import Plan

PLAN = Plan(2, 2, 1)  # 4 timed calls per arm and window, 1 warm-up: a window takes call indices 0..4, the next 5..9


class _B:
    def __init__(self, name, family):
        self.name, self.family = name, family

    def has(self, *caps):
        return True


class _Session:
    def __init__(self):
        self.doc: dict = {}

    def add(self, section, row):
        self.doc.setdefault(section, []).append(row)


class _Events:
    readers: list = []
    unavailable: list = []

    def mark(self):
        return None


def _time(op: Op, slow_until: int, calls: list[int], seeded: bool = True, retime: bool = True) -> dict:
    """One op on a fake Postgres and Redis pair whose round-trip gauge sleeps 2 ms (x3.3 the 0.6 ms reference) for call
    indices below slow_until, 0.5 ms after; the backends' own arms record the indices they were called with."""
    session, cond = _Session(), Conditions("defaults", "sync", None, {}, PLAN, 5, retime=retime)
    if seeded:
        cond.round_trips.keep({"postgres": 600.0})
    backends = [_B("postgres", "postgres"), _B("redis", "redis")]

    def gauge(i):
        time.sleep(0.002 if i < slow_until else 0.0005)

    def backend(i):
        calls.append(i)
    arms = {"postgres": backend, "redis": lambda i: None, disturbance.ARM + "postgres": gauge}
    window = latency._Window(op, arms, 1 + (disturbance.RETRIES if retime and op.kind != "delete" else 0))
    while not run_sync(latency._attempt(session, cond, window, backends, _Events())):
        pass
    return session.doc


def test_a_disturbed_window_is_timed_again_and_kept_as_noise():
    calls: list[int] = []
    doc = _time(Op("put", "1KB"), slow_until=5, calls=calls)
    (retimed,) = [n for n in doc["noise"] if n["kind"] == "retimed"]
    assert retimed["attempt"] == 1 and retimed["round_trip_factor"] > 1 + disturbance.TOLERANCE, retimed
    assert set(retimed["p50_ms"]) == {"postgres", "redis"} and "postgres÷redis" in retimed["ratios"], retimed
    assert retimed["reference_us"] == {"postgres": 600.0}
    rows = doc["measurements"]
    assert {r["backend"] for r in rows} == {"postgres", "redis"}  # the gauge is never a figure
    assert all(r["round_trip_factor"] <= 1 + disturbance.TOLERANCE and "disturbed" not in r for r in rows), rows
    assert calls == list(range(10)), calls  # the second window went on from the first one's call indices
    assert len(doc["ratios"]) == 1 and "disturbed" not in doc["ratios"][0]


def test_a_window_disturbed_in_every_attempt_is_kept_and_says_so():
    doc = _time(Op("put", "1KB"), slow_until=10**9, calls=[])
    assert len([n for n in doc["noise"] if n["kind"] == "retimed"]) == disturbance.RETRIES
    assert all(f"in all {1 + disturbance.RETRIES} attempts" in r["disturbed"] for r in doc["measurements"])
    rep = repeatability.retimed(doc)
    assert rep == {"retimed_windows": disturbance.RETRIES, "disturbed_kept": 1}, rep
    assert "kept although still disturbed" in repeatability.retimed_line(rep)


def test_a_delete_gets_one_window_whatever_the_gauge_says():
    doc = _time(Op("delete_thread", "1KB", kind="delete"), slow_until=10**9, calls=[])
    assert "noise" not in doc
    assert all("in all 1 attempts" in r["disturbed"] for r in doc["measurements"])


def test_a_quiet_window_is_kept_at_once():
    doc = _time(Op("put", "1KB"), slow_until=0, calls=[])
    assert "noise" not in doc and repeatability.retimed_line(repeatability.retimed(doc)) == ""


def test_the_reference_is_the_median_of_the_windows_kept():
    p = disturbance.RoundTrips()
    assert p.judge({"redis": 100.0}).factor is None  # nothing to compare with yet: never called disturbed
    for us in (100.0, 90.0, 110.0, 500.0):
        p.keep({"redis": us, "postgres": 100.0})
    got = p.judge({"redis": 210.0, "postgres": 100.0})
    assert got.reference_us == {"redis": 105.0, "postgres": 100.0}  # one odd window moves a median little
    assert got.factor == 1.5 and got.disturbed  # (2.0 + 1.0) / 2: both servers' round trips count
    assert not p.judge({"redis": 120.0, "postgres": 110.0}).disturbed


def test_a_cells_first_window_only_sets_the_reference():
    calls: list[int] = []
    # The reference window (3 rounds, the shortest: 7 calls) is slow, and the measured window as slow as it.
    doc = _time(Op("put", "1KB"), slow_until=7, calls=calls, seeded=False)
    assert "noise" not in doc and calls == list(range(12)), (doc.get("noise"), calls)
    (row,) = [r for r in doc["measurements"] if r["backend"] == "postgres"]
    assert row["round_trip_factor"] < 1 and row["n"] == PLAN.n, row  # judged against the first window's 2 ms


def test_a_delete_never_sets_the_reference():
    calls: list[int] = []
    doc = _time(Op("delete_thread", "1KB", kind="delete"), slow_until=0, calls=calls, seeded=False)
    assert calls == list(range(5)) and doc["measurements"][0]["round_trip_factor"] is None, calls


def test_where_the_scheduler_places_them_a_moved_round_trip_is_recorded_not_retimed():
    # Unpinned, the round trip moves with the placement the cell measures: timing again would pick placements.
    calls: list[int] = []
    doc = _time(Op("put", "1KB"), slow_until=10**9, calls=calls, retime=False)
    assert "noise" not in doc and calls == list(range(5)), calls
    rows = doc["measurements"]
    assert all(r["round_trip_factor"] > 1 + disturbance.TOLERANCE and "disturbed" not in r for r in rows), rows
