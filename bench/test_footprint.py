"""Why a ratio is what it is (C11, C9 bytes) and what network distance does to it."""

from __future__ import annotations

import pytest

from parity.backends.capabilities import Capability as C
from parity.bench import network
from parity.bench.latency import Cell


@pytest.mark.parity_claim("C11")
def test_footprint(bench):
    """Per op and backend: server commands, bytes on the wire, server CPU; bytes stored per checkpoint."""
    backends = [b for b in bench.session.backends if b.has(C.SERVER, C.SYNC)]
    if not backends:
        pytest.skip("not-applicable: no selected server backend")
    cell = Cell("defaults", "sync", None, bench.endpoints("defaults"), bench.profile.growth_plan, bench.profile.history)
    calls = 50 if bench.profile.name == "quick" else 200

    async def go():
        for b in backends:
            await network.footprint(bench.session, cell, b, calls)
    bench.run("sync", None, go)
    assert bench.session.doc["footprint"], "expected footprint rows"


def test_network_distance(bench):
    """The core ops through a delaying proxy (0, 0.25, 1 ms each way), with the run's measured RTT."""
    backends = [b for b in bench.session.backends if b.has(C.SERVER, C.SYNC, C.FULL_HISTORY)]
    if not backends:
        pytest.skip("not-applicable: no selected server backend")
    p = bench.profile
    cell = Cell("defaults", "sync", None, bench.endpoints("defaults"), p.network_plan, p.history)
    bench.run("sync", None, network.distance, bench.session, cell, backends, p.network_delays_ms)
    assert bench.session.doc["network"], "expected network rows"
