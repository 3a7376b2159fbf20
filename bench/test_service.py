"""Your service under load (issue 33): the workload's graph behind a FastAPI app, one per backend, k6 at fixed rates."""

from __future__ import annotations

import pytest

from parity.errors import ParityUsageError
from parity.measuring import noise
from parity.measuring.latency import progress
from parity.reasons import not_applicable
from parity.service import loadgen, plan as service_plan, preflight, runner, section, turns


def test_service(bench):
    """Each request one conversation turn (new thread: invoke to the interrupt; else the next resume) of the run's
    workload, served by a FastAPI app on uvicorn in its own process per backend (async saver opened once, pool at
    its default and sized to the load), driven open loop by k6 at each rate of the profile; figures per backend and
    rate, incumbent ÷ candidate ratios with CIs, the highest rate sustained with p99 under the stated bound."""
    why = loadgen.missing()
    if why:
        not_applicable("platform", "k6", why)
    session = bench.session
    options = session.options
    workload = preflight.workload(options)
    try:
        per_conversation = turns.check_servable(workload)
    except ParityUsageError as exc:  # bad input: one line and exit 2, as parity run's own preflight says it
        pytest.exit(exc.line(), returncode=pytest.ExitCode.USAGE_ERROR)
    selected = {b.name for b in session.backends}
    pairs = [p for p in service_plan.pairs(session.pairs) if set(p) <= selected]
    if not pairs:
        not_applicable("selection", "service", f"the service compares {service_plan.pairs(session.pairs)} (incumbent, "
                       "candidate); "
                       f"this run selected {sorted(selected)}")
    families_needed = {session.registry.get(n).family for p in pairs for n in p} - {None}
    endpoints = {f: ep for f, ep in bench.endpoints("defaults").items() if f in families_needed}
    missing = families_needed - set(endpoints)
    if missing:
        not_applicable("server", sorted(missing)[0], f"the service part needs a {sorted(missing)[0]} server")
    plan = service_plan.resolve(options.profile, options.service_rates, options.service_duration,
                                options.service_model_ms)
    rows: list[dict] = []
    window = noise.Window("service", bench.server_pids).start()
    complete = False
    try:
        runner.measure(session, plan, workload, pairs, endpoints, rows.append, progress)
        complete = True
    finally:  # Ctrl-C or a broken app: the rows measured so far are kept, the section says it is partial
        machine = window.stop()
        layout = rows[-1]["layout"] if rows else {}
        session.doc["service"] = section.build(rows, plan, workload, per_conversation, layout, machine, complete)
    progress(f"service: {machine['seconds']} s, other processes {machine['others_cpu_pct']}% of a CPU, load "
             f"{machine['load_before']} -> {machine['load_after']}; {layout.get('note')}")
    expected = len(pairs) * 2 * len(plan.model_ms) * len(service_plan.ARMS) * len(plan.rates)
    assert len(rows) == expected, f"expected {expected} rows (pair x backend x model x arm x rate), got {len(rows)}"
