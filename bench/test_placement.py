"""Bare round trips with client and server on one CPU, then on two: how much of every figure is placement."""

from __future__ import annotations

import pytest

from parity.bench import placement
from parity.bench.latency import progress, settings_label


@pytest.mark.parity_claim("C3")
def test_round_trip_by_cpu_placement(bench):
    """The suite pins its own servers for a moment (client on CPU a, server on a, then on b) and restores them."""
    reasons, rows = [], []
    for family, endpoint in sorted(bench.endpoints("defaults").items()):
        why = placement.unavailable(endpoint)
        if why:
            reasons.append(f"{family}: {why}")
            continue
        for row in placement.measure(endpoint):
            row = {**row, "flavour": "sync", "loop": None, "pairing": "defaults", "settings": settings_label(endpoint)}
            bench.session.add("floors", row)
            rows.append(row)
    if not rows:
        pytest.skip(f"not-applicable: {'; '.join(reasons) or 'no server in this run'}")
    progress("placement: " + ", ".join(f"{r['backend']} {r['placement']} p50 {r['p50_ms'] * 1000:.0f} us" for r in rows))
