"""Checks judged by a stated expectation instead of the reference (conformance, prune): their findings."""

from __future__ import annotations

import pytest

from parity.judging.findings import DivergenceError, Finding, match_known


def fail_with_finding(cell, scenario: str, summary: str, detail: str, claim: str = "C12") -> None:
    """Record a finding on the cell (status diverged, or known-divergence when listed) and fail the test."""
    loop = cell.loop if cell.flavour == "async" else None
    finding = Finding(cell.backend.name, cell.flavour, loop, scenario, claim, summary[:160], detail,
                      seen=1, runs=max(cell.runs, 1), workload=cell.workload)
    finding.known = match_known(finding, cell.session.known_for(finding.backend))
    cell.diverged_runs = 1
    cell.finding = finding
    if finding.known:
        pytest.xfail(f"known divergence: {finding.known['reason']}")
    raise DivergenceError(finding)
