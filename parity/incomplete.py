"""What makes a run's results incomplete (Ctrl-C, errored cells), and the verdicts that cannot stand on them."""

from __future__ import annotations

from typing import Any

# Cells of the backends the guide's claims compare (and of the reference they are judged against). A team's own
# saver that errors is that saver's problem, shown on its cells; it is no evidence about Redis vs Postgres.
CLAIM_BACKENDS = ("memory", "redis", "redis-shallow", "postgres", "postgres-shallow")
# The part each cell id belongs to, and the claims each part judges from its cells.
PART_CLAIMS = {"compat/": ("C4", "C5", "C12"), "bench/": ("C1", "C2", "C3", "C6", "C11", "C13"),
               "faults/": ("C7", "C8", "C9", "C10", "C14", "C15")}


def errored(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Cells that errored (setup or teardown broke: a server, a fixture), on the backends the claims are about."""
    return [c for c in doc.get("cells") or [] if c.get("status") == "error" and c.get("backend") in CLAIM_BACKENDS]


def _claims_of(cell: dict[str, Any]) -> set[str]:
    ids = set(cell.get("claims") or [])
    for prefix, claims in PART_CLAIMS.items():
        if str(cell.get("id", "")).startswith(prefix):
            ids |= set(claims)
    return ids


def apply(doc: dict[str, Any]) -> None:
    """doc["run"]["incomplete"]: one line per reason the results are incomplete (the report's first line), and
    every verdict resting on errored cells, or on a run cut short by Ctrl-C, becomes not-testable-here."""
    run = doc.setdefault("run", {})
    lines = []
    broken = errored(doc)
    if run.get("interrupted"):
        lines.append("interrupted (Ctrl-C): only the part that ran is here, and no verdict is given on it")
    if broken:
        first = broken[0]
        lines.append(f"{len(broken)} cells errored (the setup broke, not the saver under test), e.g. {first['id']}: "
                     f"{_one_line(first.get('reason'))}")
    if lines:
        run["incomplete"] = lines
    for row in doc.get("claims") or []:
        mine = [c for c in broken if row["id"] in _claims_of(c)]
        if run.get("interrupted"):
            _demote(row, "the run was interrupted (Ctrl-C)")
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
