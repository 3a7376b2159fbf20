"""What makes a run's results incomplete (Ctrl-C, errored cells), and the verdicts that cannot stand on them."""

from __future__ import annotations

from typing import Any

from parity.verdicts import part_claims


def claim_backends(doc: dict[str, Any]) -> list[str]:
    """The backends the claims compare (every --pair's, parity.roles) and the reference they are judged against. A
    team's own saver outside the pairs that errors is that saver's problem, shown on its cells; no claim's evidence."""
    from parity import roles

    return [roles.REFERENCE] + roles.members(roles.of(doc))


def errored(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Cells that errored (setup or teardown broke: a server, a fixture), on the backends the claims are about."""
    names = claim_backends(doc)
    return [c for c in doc.get("cells") or [] if c.get("status") == "error" and c.get("backend") in names]


def _claims_of(cell: dict[str, Any], pairs: list) -> set[str]:
    ids = set(cell.get("claims") or [])
    for part, claims in part_claims().items():  # a cell id begins with its part's folder: "compat/test_x.py::..."
        if str(cell.get("id", "")).startswith(f"{part}/"):
            ids |= set(claims)
    if (cell.get("spoiled_by") or {}).get("server"):  # a spoiled cell weighs on the claims that read its role's cells
        from parity import roles
        from parity.judging.claims import ROLES_READ

        played = roles.role_of(pairs, str(cell.get("backend")))
        ids = {i for i in ids if not played or played & set(ROLES_READ.get(i, played))}
    return ids


def apply(doc: dict[str, Any]) -> None:
    """doc["run"]["incomplete"]: one line per reason the results are incomplete (the report's first line), and
    every verdict resting on errored cells, or on a run cut short by Ctrl-C, becomes not-testable-here. Cells a server
    event spoiled (parity.spoiled) are named by that event: "the redis server died at 11:19:47 UTC, 32 cells"."""
    from parity.spoiled import by_event, headline

    run = doc.setdefault("run", {})
    lines = []
    broken = errored(doc)
    spoiled = by_event(broken)
    other = [c for c in broken if not c.get("spoiled_by")]
    if run.get("interrupted"):
        lines.append("interrupted (Ctrl-C): only the part that ran is here, and no verdict is given on it")
    lines += [f"{gap} (a saver's flavour left untested)" for gap in run.get("flavour_gaps") or []]
    for line, cells in spoiled.items():
        saw = next((c["spoiled_by"]["saw"] for c in cells if not c["spoiled_by"]["saw"].startswith("nothing")), "")
        lines.append(f"{line}: {len(cells)} cells after it are harness errors, not findings about a saver"
                     + (f" (they saw e.g. {_one_line(saw, 160)})" if saw else ""))
    if other:
        first = other[0]
        lines.append(f"{len(other)} cells errored (the setup broke, not the saver under test), e.g. {first['id']}: "
                     f"{_one_line(first.get('reason'))}")
    if lines:
        run["incomplete"] = lines
    from parity import roles

    pairs = roles.of(doc)
    for row in doc.get("claims") or []:
        mine = [c for c in other if row["id"] in _claims_of(c, pairs)]
        mine_spoiled = {line: [c for c in cells if row["id"] in _claims_of(c, pairs)] for line, cells in spoiled.items()}
        events = [f"{headline(cells[0]['spoiled_by'])}, {len(cells)} cells" for cells in mine_spoiled.values() if cells]
        if run.get("interrupted"):
            _demote(row, "the run was interrupted (Ctrl-C)")
        elif events:
            _demote(row, "not testable in this run: " + "; ".join(events))
        elif mine:
            _demote(row, f"{len(mine)} of its cells errored, e.g. {mine[0]['id']}: {_one_line(mine[0].get('reason'))}")


def _demote(row: dict[str, Any], why: str) -> None:
    if row["verdict"] != "not-testable-here":
        why += f" (the rest alone would say {row['verdict']}: {row.get('reason', '')})"
    row["reason"] = _one_line(why, 600)
    row["verdict"] = "not-testable-here"


def _one_line(text: Any, limit: int = 240) -> str:
    flat = " ".join(str(text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def banner(doc: dict[str, Any]) -> str | None:
    """The report's first line when the run is incomplete, else None."""
    lines = (doc.get("run") or {}).get("incomplete") or []
    return ("INCOMPLETE RUN: " + "; ".join(lines)) if lines else None
