"""The official langgraph-checkpoint-conformance suite on every backend x flavour x loop (sync savers via a facade)."""

import pytest

from parity.compat import conformance
from parity.findings import Finding, match_known


@pytest.mark.parity_claim("C12")
async def test_conformance(parity_cell, parity_session):
    """Contract: the saver passes every conformance spec of each capability it implements (put, put_writes, get_tuple, list, delete_thread, and prune / copy_thread / delete_for_runs when present)."""
    cell = parity_cell
    rows = await conformance.run(cell.backend, cell.flavour, cell.endpoint, parity_session.new_scope)
    loop = cell.loop if cell.flavour == "async" else None
    for cap, row in rows.items():
        parity_session.add("conformance", {"backend": cell.backend.name, "flavour": cell.flavour, "loop": loop,
                                           "capability": cap, **row})
    cell.runs = 1
    failed = {cap: row["detail"] for cap, row in rows.items() if row["status"] == "failed"}
    if not failed:
        return
    cell.diverged_runs = 1
    text = "\n".join(f"{cap}: {detail}" for cap, detail in sorted(failed.items()))
    finding = Finding(cell.backend.name, cell.flavour, loop, "test_conformance", "C12",
                      f"conformance failures in {', '.join(sorted(failed))}", text)
    finding.known = match_known(finding, parity_session.known)
    cell.finding = finding
    if finding.known:
        pytest.xfail(f"known divergence: {finding.known['reason']}")
    pytest.fail(f"{cell.backend.name}/{cell.flavour} fails conformance:\n{text}", pytrace=False)
