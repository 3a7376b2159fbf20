"""Latency of each saver operation, backends interleaved round by round; Postgres÷Redis ratios (C1, C2, C3)."""

from __future__ import annotations

import pytest

from parity.measuring import latency, noise, ops, placement
from parity.measuring.latency import Conditions
from parity.reasons import not_applicable

PAIRED_OPS = [op for op in ops.CORE_OPS if op.kind in ("write", "read")]
QUICK_PAIRED = [ops.Op("put", "1KB"), ops.Op("get_tuple_latest", "1KB", kind="read")]


def _conditions(bench, pairing: str, flavour: str, loop: str | None, plan) -> Conditions:
    return Conditions(pairing, flavour, loop, bench.endpoints(pairing), plan, bench.profile.history)


@pytest.mark.parity_claim("C1")
def test_core_ops_defaults(bench, flavour_loop):
    """Every core op on every backend with the capability, server defaults, in the headline CPU layout (client and
    servers pinned to separate CPUs where the suite may pin); the headline ops again profile.repeats times, so the
    run states its own repeat figure; floors, the disk's fsync and the machine's noise in the same window."""
    flavour, loop = flavour_loop
    cond = _conditions(bench, "defaults", flavour, loop, bench.profile.plan)
    backends = latency.pick_backends(bench.session, cond)

    async def go():
        await latency.run_floors(bench.session, cond)
        await latency.run_cell(bench.session, cond, ops.CORE_OPS, backends)
        for k in range(2, bench.profile.repeats + 1):
            cond.repeat, cond.tag = k, f"r{k}"
            await latency.run_cell(bench.session, cond, ops.HEADLINE_OPS, backends)
    window = noise.Window(f"headline {flavour}/{loop or '-'}", bench.server_pids).start()
    with placement.headline(list(cond.endpoints.values())) as layout:
        cond.layout = layout["layout"]
        bench.run(flavour, loop, go)
    bench.session.add("floors", {**noise.fsync_floor(), "flavour": flavour, "loop": loop, "layout": cond.layout})
    bench.session.add("noise", {**window.stop(), **layout, "flavour": flavour, "loop": loop})
    assert cond.rows, f"no measurement rows for {flavour}/{loop}: expected one per backend and op"


@pytest.mark.parity_claim("C1")
@pytest.mark.parametrize("pairing", [p for p in latency.PAIRINGS if p != "defaults"])
def test_durability_pairs(bench, flavour_loop, pairing):
    """Writes and reads under matched durability: aof-always vs sync-commit-on, aof-everysec vs sync-commit-off."""
    flavour, loop = flavour_loop
    default_loop = next((lp.name for lp in bench.session.loops if lp.applicable), None)
    if flavour == "async" and loop != default_loop:
        not_applicable("profile", "loop", f"durability pairs run async under the default loop ({default_loop}) only, for time")
    if bench.profile.name == "quick" and flavour == "async":
        not_applicable("profile", "flavour", "the quick profile runs durability pairs in the sync flavour only")
    op_list = QUICK_PAIRED if bench.profile.name == "quick" else PAIRED_OPS
    cond = _conditions(bench, pairing, flavour, loop, bench.profile.pairing_plan)
    backends = [b for b in latency.pick_backends(bench.session, cond, include_serverless=False)]

    async def go():
        await latency.run_floors(bench.session, cond)
        await latency.run_cell(bench.session, cond, op_list, backends)
    bench.run(flavour, loop, go)
    assert cond.rows, f"no measurement rows for {pairing} {flavour}/{loop}"
