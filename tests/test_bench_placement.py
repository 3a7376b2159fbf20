"""CPU placement rows: measured on owned servers only, and every affinity put back afterwards."""

from __future__ import annotations

import os

import pytest

from parity.measuring import placement
from parity.measuring.claims import placement_spread
from parity.servers.endpoint import Endpoint

pytestmark = pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
                                reason="not-applicable: needs Linux CPU affinity and two CPUs")


@pytest.fixture(scope="module")
def servers():
    from parity.families.redis.server import EmbeddedRedis
    from parity.families.postgres.server import EmbeddedPostgres
    from parity.servers.embedded import TempRoot
    from parity.servers.readiness import ServerStartError

    root, started = TempRoot(), []
    try:
        try:
            started += [EmbeddedRedis(root).start(), EmbeddedPostgres(root).start()]
        except ServerStartError as exc:
            pytest.skip(f"not-applicable: embedded servers unavailable: {exc}")
        yield [s.endpoint() for s in started]
    finally:
        for s in started:
            s.close()
        root.remove()


def _tasks(pid: int) -> list[int]:
    return [int(t) for t in os.listdir(f"/proc/{pid}/task")]


def test_both_placements_are_measured_and_every_affinity_is_restored(servers):
    mine = os.sched_getaffinity(0)
    redis_ep = next(e for e in servers if e.family == "redis")
    before = {t: os.sched_getaffinity(t) for t in _tasks(redis_ep.pid)}
    for ep in servers:
        rows = placement.measure(ep, n=40, warmup=5)
        assert [r["placement"] for r in rows] == ["same CPU", "different CPUs"], rows
        assert all(r["backend"] == ep.family and r["p50_ms"] > 0 and r["n"] == 40 for r in rows), rows
        assert rows[0]["cpus"][0] == rows[0]["cpus"][1] and rows[1]["cpus"][0] != rows[1]["cpus"][1], rows
    assert os.sched_getaffinity(0) == mine, "the client's CPU set must be given back"
    assert {t: os.sched_getaffinity(t) for t in _tasks(redis_ep.pid) if t in before} == before


def test_a_server_the_suite_does_not_own_is_never_pinned():
    ep = Endpoint("redis", "redis://127.0.0.1:1/0", "external", owned=False)
    assert "does not own" in placement.unavailable(ep)
    assert placement.measure(ep) == []


def test_spread_is_cross_over_same_per_family():
    doc = {"floors": [{"backend": "redis", "placement": "same CPU", "p50_ms": 0.02},
                      {"backend": "redis", "placement": "different CPUs", "p50_ms": 0.1},
                      {"backend": "postgres", "what": "SELECT 1", "p50_ms": 0.08}]}
    assert placement_spread(doc) == "5.0x (redis)"
    assert placement_spread({"floors": []}) == ""


def test_pinned_moves_client_and_servers_and_puts_everything_back(servers):
    import psycopg

    everything = os.sched_getaffinity(0)
    cpus = sorted(everything)[:2]
    pg = next(e for e in servers if e.family == "postgres")
    with placement.pinned(servers, 0, 1):
        assert os.sched_getaffinity(0) == {cpus[0]}
        assert all(os.sched_getaffinity(t) == {cpus[1]} for ep in servers for t in placement.server_tasks(ep))
        conn = psycopg.connect(pg.url, autocommit=True)  # a backend forked inside the block inherits the pin
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        assert os.sched_getaffinity(backend) == {cpus[1]}
    try:
        assert os.sched_getaffinity(0) == everything
        assert os.sched_getaffinity(backend) == everything, "a backend forked while pinned must be released too"
        assert all(os.sched_getaffinity(t) == everything for ep in servers for t in placement.server_tasks(ep))
    finally:
        conn.close()


def test_without_sched_setaffinity_the_headline_layout_pins_whole_processes_through_psutil(servers, monkeypatch):
    """Windows has no sched_setaffinity; psutil sets a whole process's CPUs there. The same code path runs here,
    forced: this process on the first CPU, the servers' processes on the second, everything given back after."""
    import psutil

    if not placement.ProcessAffinity.usable():
        pytest.skip("not-applicable: psutil cannot set CPU affinity on this platform")
    monkeypatch.setattr(placement, "affinity", lambda: placement.ProcessAffinity())
    cpus = sorted(os.sched_getaffinity(0))[:2]
    me, redis_pid = psutil.Process(), next(e for e in servers if e.family == "redis").pid
    mine, theirs = me.cpu_affinity(), psutil.Process(redis_pid).cpu_affinity()
    with placement.headline(servers) as layout:
        assert layout["layout"] == placement.HEADLINE and layout["pinned"], layout
        assert me.cpu_affinity() == [cpus[0]] and psutil.Process(redis_pid).cpu_affinity() == [cpus[1]]
    assert me.cpu_affinity() == mine and psutil.Process(redis_pid).cpu_affinity() == theirs


def test_a_platform_without_any_affinity_says_so_and_is_not_pinned(monkeypatch):
    monkeypatch.setattr(placement, "affinity", lambda: None)
    with placement.headline([]) as layout:
        assert layout == {"layout": "scheduler's choice", "pinned": False,
                          "why": "CPU affinity cannot be set on this platform"}
