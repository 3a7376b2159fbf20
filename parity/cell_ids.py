"""The one way a compat cell is named, everywhere: `test_x[redis-async-uvloop]`, `test_x[redis-sync]`.

A cell is one scenario on one backend, API flavour and event loop. Its pytest item id carries the matrix part
`backend-flavour[-loop]` (a sync cell runs no event loop, so it has no loop part) and then the scenario's own
parameters. The console, findings, JUnit, the gate, the report and the known divergences name cells by the
row's `id` (the pytest node id, `compat/test_x.py::test_x[redis-sync]`, which `pytest` and `-k` accept) or,
where a line must stay short, by its name after `::`. Code that has only the fields composes them here.
"""

from __future__ import annotations

from typing import Any


def matrix_id(backend: str, flavour: str, loop: str | None = None) -> str:
    """`redis-async-uvloop`; `redis-sync` when the cell has no loop (None, "", "-", or "None" from a str() of it)."""
    return "-".join(str(p) for p in (backend, flavour, loop) if p and str(p) not in ("-", "None"))


def name(nodeid: str) -> str:
    """`test_x[redis-sync]` of `compat/test_x.py::test_x[redis-sync]`: the node id after its file."""
    return str(nodeid).rsplit("::", 1)[-1]


def of_finding(finding: dict[str, Any]) -> str:
    """The cell a finding was seen in: its `cell` (the node id, recorded since schema 2's `cell` field), else the
    name composed from its fields (documents written before), never the finding's own hash id."""
    if finding.get("cell"):
        return str(finding["cell"])
    matrix = matrix_id(str(finding.get("backend", "?")), str(finding.get("flavour", "?")), finding.get("loop"))
    return f"{finding.get('scenario', '?')}[{matrix}]"
