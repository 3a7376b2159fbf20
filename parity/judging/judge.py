"""Run a scenario on a cell and on the reference backend, compare the traces, turn a difference into a finding."""

from __future__ import annotations

from typing import Any

import pytest

from parity.backends.backend import SaverContext
from parity.judging.driver import Driver, Scenario
from parity.judging.findings import DivergenceError, Finding, match_known
from parity.judging import causes, invariants, missing_api
from parity.judging.differences import hunks, led, most_significant, piece_summary
from parity.judging.trace import Trace, diff, first_difference, nondeterministic_paths
from parity.backends.builtin import REFERENCE


async def run_scenario(session, backend, flavour: str, scenario: Scenario, endpoint, options=None,
                       ignore: tuple[str, ...] = ()) -> Trace:
    """One run; an exception raised by the graph or saver is part of the trace, not a harness failure."""
    ctx = SaverContext(endpoint, session.new_scope(), dict(options or {}))
    trace = Trace(ignore)
    if flavour == "async":
        async with backend.saver("async", ctx) as saver:
            await _guarded(scenario, Driver(backend, flavour, ctx, saver, trace))
    else:
        with backend.saver("sync", ctx) as saver:
            await _guarded(scenario, Driver(backend, flavour, ctx, saver, trace))
    invariants.record(trace, backend.capabilities)  # the saver's own output against LangGraph's promises
    trace.saver_raised = causes.raised(trace.calls, flavour)  # the calls that raised, for the finding's root cause
    return trace


async def _guarded(scenario: Scenario, driver: Driver) -> None:
    try:
        await scenario(driver)
    except Exception as exc:  # recorded, then compared with what the reference raised
        raised = {"type": type(exc).__name__, "message": str(exc)[:300]}
        if isinstance(exc, NotImplementedError):  # which API is missing: the finding's headline names it
            raised["call"] = driver.last_call
        driver.trace.add("raised", raised)


async def reference_trace(session, flavour: str, scenario: Scenario, name: str, options=None, ignore=(),
                          twice: bool = True) -> Trace:
    # Everything that can change what the scenario does is part of the key, or a variant would be judged
    # against another variant's reference.
    key = (name, flavour, scenario.__module__, scenario.__qualname__, repr(sorted((options or {}).items())),
           tuple(ignore))
    if key not in session.references:
        ref = session.registry.get(REFERENCE)
        trace = await run_scenario(session, ref, flavour, scenario, None, options, ignore)
        raised = [v for label, v in trace.entries if label == "raised"]
        if raised:
            pytest.fail(f"scenario {name} fails on the reference backend itself: {raised[0]}", pytrace=False)
        broke = invariants.headline(trace.entries)
        if broke:  # InMemorySaver keeps every rule (tests/test_invariants.py): a rule or the installed one is wrong
            pytest.fail(f"scenario {name}: the reference itself breaks a rule of parity.judging.invariants: "
                        f"{broke[0]}", pytrace=False)
        if twice:  # a second run: what differs between the reference's own runs is the scenario's, not a divergence
            again = await run_scenario(session, ref, flavour, scenario, None, options, ignore)
            paths = nondeterministic_paths(trace, again)
            if paths:
                pytest.fail(nondeterministic(name, flavour, paths), pytrace=False)
        session.references[key] = trace
    return session.references[key]


def nondeterministic(name: str, flavour: str, paths: list[str]) -> str:
    """One line: where the reference's two runs differ, and the exact ignore= (Trace ignores keys by name)."""
    keys = list(dict.fromkeys(p.rsplit(".", 1)[-1] for p in paths if not p.startswith("(")))
    fix = (f"add ignore=({', '.join(repr(k) for k in keys)},) to its check(...)" if keys
           else "make the scenario take the same steps every run")
    return (f"scenario {name} is non-deterministic in your graph: {len(paths)} path(s) differ between two runs on "
            f"the reference (memory, {flavour}) itself, e.g. {paths[0]} (fix: {fix})")


async def check(cell, scenario: Scenario, *, claim: str = "C12", options: dict[str, Any] | None = None,
                ignore: tuple[str, ...] = (), name: str | None = None) -> None:
    """Judge the cell against the reference; raise DivergenceError or xfail on a known divergence."""
    name = name or cell.scenario
    # A workload's preflight ran its reference twice already (parity/workloads/runner.py): once here is enough.
    expected = await reference_trace(cell.session, cell.flavour, scenario, cell.variant or name, options, ignore,
                                     twice=cell.workload is None)
    diffs, hunk_sets, actuals, roots = [], [], [], []
    for _ in range(cell.repeat):
        actual = await run_scenario(cell.session, cell.backend, cell.flavour, scenario, cell.endpoint, options, ignore)
        d = diff(expected, actual)
        if d:
            d = led(expected, actual, d)
            diffs.append(d)
            hunk_sets.append(hunks(expected, actual))
            actuals.append(actual)
            roots.append(causes.root(getattr(actual, "saver_raised", []), getattr(expected, "saver_raised", [])))
    cell.runs = cell.repeat
    cell.diverged_runs = len(diffs)
    if not diffs:
        return
    root = roots[0]
    finding = Finding(cell.backend.name, cell.flavour, cell.loop if cell.flavour == "async" else None, name,
                      claim, root.title(cell.flavour) if root else headline(actuals[0], hunk_sets[0], diffs[0],
                                                                            cell.flavour),
                      diffs[0], seen=len(diffs), runs=cell.repeat, workload=cell.workload,
                      cause=root.title(cell.flavour) if root else None)
    broke = invariants.headline(actuals[0].entries)
    finding.contract = broke[1] if broke else None
    finding.known = match_known(finding, cell.session.known_for(finding.backend), hunk_sets)
    if finding.partly_explained and not root:  # the summary names what fails the cell, not the listed symptom
        unexplained = finding.partly_explained["unexplained"]
        pieces = [p for p in hunk_sets[0] if p in unexplained] or [unexplained]
        finding.summary = headline(actuals[0], pieces, diffs[0], cell.flavour)
    cell.finding = finding
    if finding.known:
        pytest.xfail(f"known divergence: {finding.known['reason']}"
                     + (f" ({finding.known['upstream']})" if finding.known.get("upstream") else ""))
    raise DivergenceError(finding)


def headline(actual: Trace, pieces: list[str], diff_text: str, flavour: str) -> str:
    """A finding's summary line: a missing API method by what a user loses, else the most significant difference
    (an error before a changed value, a value before metadata, links or channel versions), never just the first."""
    missing = missing_api.headline(actual.entries, flavour)
    if missing:
        return missing
    broke = invariants.headline(actual.entries)  # a broken promise is the cause of what else differs
    if broke:
        return broke[0]
    top = most_significant(pieces)
    return piece_summary(top) if top else first_difference(diff_text)


def report_divergence(session, finding: Finding) -> None:
    """A divergence found outside the compat matrix (e.g. a fault study): recorded, then waived or failed."""
    finding.known = match_known(finding, session.known_for(finding.backend))
    from parity import versions
    from parity.errors import ParityUsageError

    try:
        backend = session.registry.get(finding.backend)
    except ParityUsageError:  # a study's own name for what it compared: the library versions alone
        backend = None
    versions.record(finding, backend)
    session.add("findings", finding.to_dict())
    if finding.known:
        pytest.xfail(f"known divergence: {finding.known['reason']}")
    raise DivergenceError(finding)
