"""ShadowSaver's cost on the primary path (issue 19, item 2): bare vs shadowed at 1% and 100% read sampling."""

from __future__ import annotations

from parity import roles
from parity.measuring import noise, placement, shadow_cost
from parity.measuring.latency import progress
from parity.reasons import not_applicable


def _servers(bench, what: str) -> tuple[dict, roles.Pair]:
    """The first selected pair (parity.roles) and its servers by role (a serverless backend has none), or
    not-applicable with the reason."""
    pair = roles.first_selected(bench.session)
    if pair is None:
        not_applicable("selection", "pair", f"{what} needs both backends of a pair "
                       f"({roles.said(bench.session.pairs)}); none is selected")
    endpoints = bench.endpoints("defaults")
    out = {}
    for role, name in (("incumbent", pair.incumbent), ("candidate", pair.candidate)):
        family = bench.session.registry.get(name).family
        if family is not None and family not in endpoints:
            not_applicable("server", family, f"{what} needs a {family} server ({role} {name} of {pair.label})")
        if family is not None:
            out[role] = endpoints[family]
    return out, pair


def test_shadow_cost(bench, flavour_loop):
    """Primary: the first selected pair's incumbent, candidate: its candidate (Postgres and Redis by default): the app's put and get_tuple timed bare and through
    ShadowSaver at 1% and 100% read sampling (and mirroring alone, 0%), concurrency 1/16/64, arms interleaved round by round; shadow÷bare
    p50 and p99 with CIs, judged against issue 19's targets (< +5% p50 at 1%, < +15% at 100%)."""
    flavour, loop = flavour_loop
    default_loop = next((lp.name for lp in bench.session.loops if lp.applicable), None)
    if flavour == "async" and loop != default_loop:
        not_applicable("profile", "loop", f"the shadow's cost runs async under the default loop ({default_loop}) only, for time")
    by_role, _ = _servers(bench, "the shadow's cost")
    endpoints = bench.endpoints("defaults")  # by family, as shadow_cost.measure opens its savers
    plan = shadow_cost.PLANS.get(bench.profile.name, shadow_cost.CostPlan())
    window = noise.Window(f"shadow cost {flavour}/{loop or '-'}", bench.server_pids).start()
    with placement.headline(list(by_role.values())) as cpus:
        def add(row):
            row["layout"]["cpus"] = cpus  # the app, its shadow worker and the servers: which CPUs (as the headline)
            bench.session.add("shadow_cost", row)
            progress(shadow_cost.describe(row))
        rows = bench.run(flavour, loop, shadow_cost.measure, bench.session, flavour, loop, endpoints, plan, add)
    machine = window.stop()
    bench.session.add("noise", {**machine, **cpus, "flavour": flavour, "loop": loop})
    for row in rows:  # what the rest of the machine did during the whole measurement, beside each figure
        row["noise"] = {k: machine.get(k) for k in ("seconds", "others_cpu_pct", "steal_pct", "load_before", "load_after")}
    progress(f"shadow cost {flavour}: {machine['seconds']} s, other processes {machine['others_cpu_pct']}% of a CPU, "
             f"load {machine['load_before']} -> {machine['load_after']}, CPUs: {cpus['layout']}")
    assert len(rows) == len(plan.levels) * len(shadow_cost.FRACTIONS) * len(shadow_cost.OPS), f"expected a row per level, arm and op, got {len(rows)}"


def test_shadow_demo_recording(bench):
    """The report's demo: the run's workload (the sales-email demo by default) played on a few conversations through
    ShadowSaver (primary and candidate: the first selected pair, Postgres and Redis by default; every read compared), summarised into the `shadow` section; then
    the threads it left in the primary replayed into the candidate (`replay` section), read-only on the source."""
    from parity.shadow import demo
    from parity.workloads.contract import load

    endpoints, pair = _servers(bench, "the shadow demo")
    if "incumbent" not in endpoints:  # replay opens the primary's threads by its URL, read-only
        not_applicable("selection", pair.incumbent, f"the shadow demo replays the primary from its server's URL; "
                       f"{pair.incumbent} has no server")
    session = bench.session
    workload = load((session.options.workloads or ["parity.workloads.demo:sales_email"])[0])
    out = session.options.out / "shadow" if session.options.out else None
    shadow, replay, took = demo.run_demo(session.registry, endpoints.get("incumbent"), endpoints.get("candidate"),
                                        session.new_scope(), workload, out, pair)
    shadow["demo"] = {"workload": workload.name, "threads": demo.DEMO_THREADS, "read_fraction": demo.DEMO_READ_FRACTION,
                      "seconds": round(took["shadow_s"], 2), "json_lines": str(out) if out else None}
    replay["demo"] = {"seconds": round(took["replay_s"], 2), "source": f"the shadow demo's primary ({pair.incumbent})"}
    session.doc["shadow"], session.doc["replay"] = shadow, replay
    c = shadow["counts"]
    progress(f"shadow demo ({workload.name}, {demo.DEMO_THREADS} threads, {took['shadow_s']:.1f} s): "
             f"{c.get('reads_compared', 0)} reads compared, {shadow['divergences']} divergences, "
             f"{sum(v for k, v in c.items() if k.startswith('dropped'))} drops; replay {took['replay_s']:.1f} s: "
             + ", ".join(f"{t['backend']} {t['verified']}/{t['threads']} verified, {t['divergence_count']} divergences"
                         for t in replay["targets"]))
    assert c.get("reads_compared", 0) > 0, f"the demo compared no read: {c}"
    assert replay["threads"]["available"] >= demo.DEMO_THREADS, replay["threads"]
