"""Bare round trips with client and server on one CPU, then on two: how much of every figure is placement."""

from __future__ import annotations

import contextlib

import pytest

from parity.measuring import placement
from parity.measuring.latency import progress, settings_label
from parity.reasons import not_applicable


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
        not_applicable("platform", "cpu placement", '; '.join(reasons) or "no server in this run")
    progress("placement: " + ", ".join(f"{r['backend']} {r['placement']} p50 {r['p50_ms'] * 1000:.0f} us" for r in rows))


@pytest.mark.parity_claim("C1")
def test_put_and_read_ratios_by_cpu_layout(bench):
    """put and get_tuple again, sync, with this process and the servers on one CPU, then where the scheduler puts them.

    Not a setting to tune: the same servers at defaults, only the layout changed, so a reader sees how far the
    ratios move with it beside the headline layout (separate CPUs, pinned) that C1/C2 are judged on.
    """
    from parity.measuring import latency
    from parity.measuring.latency import Conditions
    from parity.measuring.ops import Op

    endpoints = bench.endpoints("defaults")
    reasons = [f"{f}: {why}" for f, ep in sorted(endpoints.items()) if (why := placement.unavailable(ep))]
    if reasons or len(endpoints) < 2:
        not_applicable("platform", "cpu placement", '; '.join(reasons) or "needs both a Redis and a Postgres server")
    rows = []
    for label, client_cpu, server_cpu in placement.LAYOUTS:
        cond = Conditions(label, "sync", None, endpoints, bench.profile.pairing_plan, bench.profile.history,
                          layout=label.split(", ", 1)[1], retime=client_cpu is not None)
        backends = latency.pick_backends(bench.session, cond, include_serverless=False)

        async def go(cond=cond, backends=backends):
            await latency.run_cell(bench.session, cond, [Op("put", "1KB"), Op("get_tuple_latest", "1KB", kind="read")],
                                   backends)
        with (placement.pinned(list(endpoints.values()), client_cpu, server_cpu) if client_cpu is not None
              else contextlib.nullcontext()):
            bench.run("sync", None, go)
        rows += cond.rows
    assert rows, "no measurement rows under either CPU layout"
