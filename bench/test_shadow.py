"""ShadowSaver's cost on the primary path (issue 19, item 2): bare vs shadowed at 1% and 100% read sampling."""

from __future__ import annotations

from parity.measuring import shadow_cost
from parity.measuring.latency import progress
from parity.reasons import not_applicable


def test_shadow_cost(bench, flavour_loop):
    """Primary Postgres, candidate Redis (the run's servers): the app's put and get_tuple timed bare and through
    ShadowSaver at 1% and 100% read sampling (and mirroring alone, 0%), concurrency 1/16/64, arms interleaved round by round; shadow÷bare
    p50 and p99 with CIs, judged against issue 19's targets (< +5% p50 at 1%, < +15% at 100%)."""
    flavour, loop = flavour_loop
    default_loop = next((lp.name for lp in bench.session.loops if lp.applicable), None)
    if flavour == "async" and loop != default_loop:
        not_applicable("profile", "loop", f"the shadow's cost runs async under the default loop ({default_loop}) only, for time")
    endpoints = bench.endpoints("defaults")
    missing = [f for f in ("postgres", "redis") if f not in endpoints]
    if missing:
        not_applicable("server", missing[0], f"the shadow's cost needs a {missing[0]} server (primary Postgres, "
                       "candidate Redis)")
    plan = shadow_cost.PLANS.get(bench.profile.name, shadow_cost.CostPlan())

    def add(row):
        bench.session.add("shadow_cost", row)
        progress(shadow_cost.describe(row))
    rows = bench.run(flavour, loop, shadow_cost.measure, bench.session, flavour, loop, endpoints, plan, add)
    assert len(rows) == len(plan.levels) * len(shadow_cost.FRACTIONS) * len(shadow_cost.OPS), f"expected a row per level, arm and op, got {len(rows)}"
