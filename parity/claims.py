"""Every claim C1–C15 gets a verdict computed from the results document by the part that measured it."""

from __future__ import annotations

import importlib
from typing import Any

from parity.verdicts import CLAIM_IDS, described

PARTS = ("parity.judging.claims", "parity.measuring.claims", "parity.injecting.claims", "parity.workloads.claims")


def compute(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Verdicts from each part's `verdicts(doc)`; a claim nobody measured says so instead of guessing."""
    by_id: dict[str, dict[str, Any]] = {}
    for module_name in PARTS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # that part is not installed in this build
            raise
        for row in module.verdicts(doc):
            row["evidence"] = [evidence_text(e) for e in row.get("evidence") or []]
            by_id[row["id"]] = _merge(by_id.get(row["id"]), row)
    return [described(by_id.get(cid) or {"id": cid, "verdict": "not-testable-here",
                                         "reason": "not measured in this run (see the run's --only selection)",
                                         "evidence": []}) for cid in CLAIM_IDS]


EVIDENCE_CHARS = 600  # one evidence line stays readable; the full rows are in their own sections


def evidence_text(item: Any) -> str:
    """Evidence is read by people: structured items become one compact line."""
    if isinstance(item, dict):
        item = ", ".join(f"{k}={evidence_text(v) if isinstance(v, dict) else _short(v)}" for k, v in item.items())
    text = str(item)
    return text if len(text) <= EVIDENCE_CHARS else text[:EVIDENCE_CHARS - 1] + "…"


def _short(value: Any) -> Any:
    return f"{value:.4g}" if isinstance(value, float) else value


def _merge(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """Two parts judging the same claim: the verdicts combine, the reasons and evidence are both kept."""
    if old is None:
        return new
    from parity.verdicts import combine

    return {"id": new["id"], "verdict": combine([old["verdict"], new["verdict"]]),
            "reason": f"{old['reason']}; {new['reason']}", "evidence": old["evidence"] + new["evidence"]}
