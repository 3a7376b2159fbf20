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


def _time(op: Op, slow_until: int, calls: list[int], reference: list[float] = (600.0,) * 5, retime: bool = True,
          others: int = 0) -> dict:
    """One op on a fake Postgres and Redis pair whose round-trip gauge sleeps 2 ms for call indices below
    slow_until and 0.5 ms after, in a cell whose earlier windows' round trips were `reference` (us); `others`
    more ops of the same cell, never slow. The backends' own arms record the call indices they were given."""
    session, cond = _Session(), Conditions("defaults", "sync", None, {}, PLAN, 5, retime=retime)
    for us in reference:
        cond.round_trips.keep({"postgres": us})
    backends = [_B("postgres", "postgres"), _B("redis", "redis")]

    def gauge(i):
        time.sleep(0.002 if i < slow_until else 0.0005)

    def backend(i):
        calls.append(i)
    attempts = 1 + (disturbance.RETRIES if retime and op.kind != "delete" else 0)
    windows = [latency._Window(op, {"postgres": backend, "redis": lambda i: None,
                                    disturbance.ARM + "postgres": gauge}, attempts)]
    windows += [latency._Window(Op("put_writes", "1KB"), {"postgres": lambda i: None, "redis": lambda i: None,
                                disturbance.ARM + "postgres": lambda i: time.sleep(0.0005)}, attempts)
                for _ in range(others)]

    async def cell():
        for w in windows:
            await latency._measure(cond, w, _Events())
        await latency._judge_and_record(session, cond, windows, backends, _Events())
    run_sync(cell())
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
    assert all("(a delete is timed once)" in r["disturbed"] for r in doc["measurements"])


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


def test_a_cell_that_began_disturbed_is_judged_against_all_its_windows():
    # No earlier windows: the first window (slow) is judged once the cell's four quiet ones are in.
    calls: list[int] = []
    doc = _time(Op("put", "1KB"), slow_until=5, calls=calls, reference=(), others=4)
    (retimed,) = [n for n in doc["noise"] if n["kind"] == "retimed"]
    assert retimed["op"] == "put" and retimed["round_trip_factor"] > 3, retimed
    assert calls == list(range(10)) and not any(r.get("disturbed") for r in doc["measurements"]), calls


def test_a_lasting_change_becomes_the_cells_usual_value():
    # The median moves with a change that lasts most of the cell: that is the machine now, not a disturbance.
    doc = _time(Op("put", "1KB"), slow_until=10**9, calls=[], reference=(2000.0,) * 5)
    assert "noise" not in doc and not any(r.get("disturbed") for r in doc["measurements"])


def test_where_the_scheduler_places_them_a_moved_round_trip_is_recorded_not_retimed():
    # Unpinned, the round trip moves with the placement the cell measures: timing again would pick placements.
    calls: list[int] = []
    doc = _time(Op("put", "1KB"), slow_until=10**9, calls=calls, retime=False)
    assert "noise" not in doc and calls == list(range(5)), calls
    rows = doc["measurements"]
    assert all(r["round_trip_factor"] > 1 + disturbance.TOLERANCE and "disturbed" not in r for r in rows), rows
