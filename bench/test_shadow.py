"""ShadowSaver's cost on the primary path (issue 19, item 2): bare vs shadowed at 1% and 100% read sampling."""

from __future__ import annotations

from parity.measuring import noise, placement, shadow_cost
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
    window = noise.Window(f"shadow cost {flavour}/{loop or '-'}", bench.server_pids).start()
    with placement.headline([endpoints["postgres"], endpoints["redis"]]) as cpus:
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
    ShadowSaver (primary Postgres, candidate Redis, every read compared), summarised into the `shadow` section; then
    the threads it left in Postgres replayed into Redis (`replay` section), read-only on the source."""
    from parity.shadow import demo
    from parity.workloads.contract import load

    endpoints = bench.endpoints("defaults")
    missing = [f for f in ("postgres", "redis") if f not in endpoints]
    if missing:
        not_applicable("server", missing[0], f"the shadow demo needs a {missing[0]} server (primary Postgres, "
                       "candidate Redis)")
    session = bench.session
    workload = load((session.options.workloads or ["parity.workloads.demo:sales_email"])[0])
    out = session.options.out / "shadow" if session.options.out else None
    shadow, replay, took = demo.run_demo(session.registry, endpoints["postgres"], endpoints["redis"],
                                        session.new_scope(), workload, out)
    shadow["demo"] = {"workload": workload.name, "threads": demo.DEMO_THREADS, "read_fraction": demo.DEMO_READ_FRACTION,
                      "seconds": round(took["shadow_s"], 2), "json_lines": str(out) if out else None}
    replay["demo"] = {"seconds": round(took["replay_s"], 2), "source": "the shadow demo's primary (Postgres schema)"}
    session.doc["shadow"], session.doc["replay"] = shadow, replay
    c = shadow["counts"]
    progress(f"shadow demo ({workload.name}, {demo.DEMO_THREADS} threads, {took['shadow_s']:.1f} s): "
             f"{c.get('reads_compared', 0)} reads compared, {shadow['divergences']} divergences, "
             f"{sum(v for k, v in c.items() if k.startswith('dropped'))} drops; replay {took['replay_s']:.1f} s: "
             + ", ".join(f"{t['backend']} {t['verified']}/{t['threads']} verified, {t['divergence_count']} divergences"
                         for t in replay["targets"]))
    assert c.get("reads_compared", 0) > 0, f"the demo compared no read: {c}"
    assert replay["threads"]["available"] >= demo.DEMO_THREADS, replay["threads"]
