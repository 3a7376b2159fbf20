"""Why a ratio is what it is (C11, C9 bytes) and what network distance does to it."""

from __future__ import annotations

import contextlib

import pytest

from parity import families
from parity.backends.capabilities import Capability as C
from parity.measuring import network
from parity.measuring.latency import Conditions
from parity.reasons import not_applicable


@pytest.mark.parity_claim("C11")
def test_footprint(bench):
    """Per op and backend: server commands, round trips, bytes on the wire, server CPU; bytes stored per checkpoint.

    Postgres statements are counted on an owned Postgres preloading pg_stat_statements (the session server
    keeps pure defaults); everything else is measured on the session servers.
    """
    backends = [b for b in bench.session.backends if b.has(C.SERVER, C.SYNC)]
    if not backends:
        not_applicable("selection", "backends", "no selected server backend")
    cond = Conditions("defaults", "sync", None, bench.endpoints("defaults"), bench.profile.growth_plan, bench.profile.history)
    calls = 50 if bench.profile.name == "quick" else 200
    # The family whose commands are counted only on a server preloading a statements library (Postgres).
    preloads = sorted({b.family for b in backends if b.family and families.get(b.family).statements_settings})
    counted = preloads[0] if preloads else None

    async def go(statements):
        for b in backends:
            await network.footprint(bench.session, cond, b, calls, statements if b.family == counted else (None, None))

    counting = (network.statements_endpoint(bench.session, cond.endpoints[counted]) if counted
                else contextlib.nullcontext((None, None)))
    with counting as statements:
        bench.run("sync", None, go, statements)
    rows = bench.session.doc["footprint"]
    assert rows, "expected footprint rows"
    # Every saver call talks to its server at least once; a zero would mean the counter missed the traffic.
    missed = [(r["backend"], r["op"]) for r in rows if r["round_trips"] is not None and r["round_trips"] < 1]
    assert not missed, f"expected >= 1 round trip per call, got fewer for {missed}"


def test_network_distance(bench):
    """The core ops through a delaying proxy (0, 0.25, 1 ms each way), with the run's measured RTT."""
    backends = [b for b in bench.session.backends if b.has(C.SERVER, C.SYNC, C.FULL_HISTORY)]
    if not backends:
        not_applicable("selection", "backends", "no selected server backend")
    p = bench.profile
    cond = Conditions("defaults", "sync", None, bench.endpoints("defaults"), p.network_plan, p.history)
    bench.run("sync", None, network.distance, bench.session, cond, backends, p.network_delays_ms)
    assert bench.session.doc["network"], "expected network rows"
