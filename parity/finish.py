"""Derived results, computed once before results.json is saved; renderers, gate and compare only read them.

`derive(doc)` runs after every row is in (and after xdist parts are merged): each step adds one section from
the rows. Then the pytest_parity_update_json hook (parity/hooks.py) lets a team add its own section, and `parity
run` adds the trend there (`add_trend`), so it is saved with the run and `parity report DIR` renders the same page
later; the document is validated and saved once (parity.results.save) and the run joins its history after that
(`join_history`). To derive a new figure, add a step to STEPS.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable


def overhead(doc: dict[str, Any]) -> None:
    """doc["overhead"]: the empty call's p50 against the fastest Redis-family operation, how well the put ratio
    measured twice agrees with itself, and how much CPU placement alone moves a bare round trip."""
    if not doc.get("floors"):
        return
    from parity.measuring.claims import overhead as harness_overhead
    from parity.measuring.claims import placement_spread, repeatability

    doc["overhead"] = {**harness_overhead(doc), **repeatability(doc)}
    spread = placement_spread(doc)
    if spread:
        doc["overhead"]["placement_spread"] = spread


def repeatability(doc: dict[str, Any]) -> None:
    """doc["repeatability"]: how far the headline ratios moved between this run's repeats, against the target."""
    from parity.measuring.repeatability import derive

    rep = derive(doc)
    if rep is not None:
        doc["repeatability"] = rep


def claims(doc: dict[str, Any]) -> None:
    """doc["claims"]: a verdict for every claim, from the rows the parts measured; never from a cell a server event
    spoiled (parity.spoiled): its evidence did not run."""
    from parity.claims import compute
    from parity.spoiled import evidence

    doc["claims"] = compute(evidence(doc))


def service_lines(doc: dict[str, Any]) -> None:
    """The service part's line for C1, C2, C6 and C13 beside each claim's evidence (the verdicts stay the parts')."""
    from parity.service.section import add_claim_lines

    add_claim_lines(doc)


def incomplete(doc: dict[str, Any]) -> None:
    """doc["run"]["incomplete"] and no verdict from errored cells or an interrupted run (parity.incomplete)."""
    from parity.incomplete import apply

    apply(doc)


STEPS: tuple[Callable[[dict[str, Any]], None], ...] = (overhead, repeatability, claims, service_lines, incomplete)


def derive(doc: dict[str, Any]) -> dict[str, Any]:
    for step in STEPS:
        step(doc)
    return doc


def add_trend(doc: dict[str, Any], history_path: Path) -> dict[str, Any]:
    """doc["history"]: the trend on this run's CPU, from its history with the run itself in it. The run joins the
    history file after its document is saved (join_history): a document that fails validation never enters it."""
    from parity import history

    cpu = (doc.get("machine") or {}).get("cpu_model")
    doc["history"] = history.trend(history_path, cpu_model=cpu, joining=doc)
    return doc


def join_history(doc: dict[str, Any], history_path: Path) -> None:
    """Append the saved (so valid) run to its history: the next run's trend reads it."""
    from parity import history

    history.append(doc, history_path)
