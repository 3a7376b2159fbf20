"""Workloads: a team's own graph and step script (--parity-workload module:name), judged on every cell and timed."""

import pytest

from parity.backends.capabilities import Capability
from parity.errors import ParityUsageError
from parity.plugin import get_session
from parity.workloads.contract import load
from parity.workloads.runner import reference_failure, scenario
from parity.workloads.timing import repetitions, time_workload, timing_rows
from parity import reasons

_REFERENCE_FAILURES: dict[tuple[str, str], str | None] = {}


def pytest_generate_tests(metafunc):
    if "workload" not in metafunc.fixturenames:
        return
    specs = get_session(metafunc.config).options.workloads
    if not specs:
        skip = reasons.marker("selection", "workloads", "no workload selected (pass --parity-workload module:name)")
        metafunc.parametrize("workload", [pytest.param(None, marks=skip)], ids=["no-workload"])
        return
    try:
        loaded = [load(spec) for spec in specs]
    except ParityUsageError as exc:
        raise pytest.Collector.CollectError(exc.line()) from None
    metafunc.parametrize("workload", loaded, ids=[w.name for w in loaded])


async def test_workload(parity_cell, parity_session, workload):
    """Contract: the team's script gives the reference's (memory) trace on this cell, step by step; each step's
    wall time is measured over extra repetitions outside the judged run."""
    from parity.backends.capabilities import Capability

    parity_cell.workload = workload.name
    row = {"name": workload.name, "backend": parity_cell.backend.name, "flavour": parity_cell.flavour,
           "loop": parity_cell.loop, "status": "failed"}
    try:
        if workload.needs_full_history():  # history and time-travel steps read past checkpoints
            parity_cell.require(Capability.FULL_HISTORY)
        await _reference_ok(workload, parity_cell.flavour)
        await _judge(parity_cell, workload, row)
    except pytest.skip.Exception:
        row["status"] = "not-applicable"
        raise
    finally:
        parity_session.add("workloads", row)


async def _reference_ok(workload, flavour: str) -> None:
    key = (workload.name, flavour)
    if key not in _REFERENCE_FAILURES:
        _REFERENCE_FAILURES[key] = await reference_failure(workload, flavour)
    if _REFERENCE_FAILURES[key]:
        pytest.fail(_REFERENCE_FAILURES[key] + " (a bug in the workload, not a divergence)", pytrace=False)


# What a saver without FULL_HISTORY keeps by design (a shallow saver stores only the latest checkpoint, so a state
# has no parent): not compared on it. Declared by the capability, never by backend name; the row says so.
BY_DESIGN = {Capability.FULL_HISTORY: ("has_parent", "keeps no parent checkpoints (lacks full_history), so "
                                                     "get_state's parent link is not compared")}


async def _judge(cell, workload, row) -> None:
    missing = [cap for cap in BY_DESIGN if not cell.backend.has(cap)]
    ignore = tuple(BY_DESIGN[cap][0] for cap in missing)
    if missing:
        row["not_compared"] = "; ".join(f"{cell.backend.name} {BY_DESIGN[cap][1]}" for cap in missing)
    try:
        await cell.check(scenario(workload), name=f"workload:{workload.name}", ignore=ignore)
        row["status"] = "passed"
    except pytest.xfail.Exception:
        row["status"] = "known-divergence"
        raise
    except BaseException:
        row["status"] = "diverged" if cell.finding is not None else "failed"
        raise
    finally:
        if cell.finding is not None:
            row["finding_ids"] = [cell.finding.id]
        # Diverged cells are timed too (their status sits beside the figure); a cell that errored is not.
        if row["status"] in ("passed", "known-divergence", "diverged"):
            samples = await time_workload(cell, workload, repetitions(cell.session))
            for timing in timing_rows(workload, cell, samples):
                cell.session.add("workload_timings", timing)
