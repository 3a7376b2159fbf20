"""Every declared claim (parity/verdicts.py) gets a verdict computed from the results document by the part that measured
it."""

from __future__ import annotations

import importlib
from typing import Any

from parity.verdicts import claim_ids, combine, described

PARTS = ("parity.judging.claims", "parity.measuring.claims", "parity.injecting.claims", "parity.workloads.claims")


NOT_MEASURED = "not measured in this run (see the run's --only selection)"


def _parts():
    """(module name, module) of every part installed in this build."""
    for module_name in PARTS:
        try:
            yield module_name, importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # that part is not installed in this build
            raise


def _judge(module, doc: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> None:
    for row in module.verdicts(doc):
        row["evidence"] = [evidence_text(e) for e in row.get("evidence") or []]
        by_id[row["id"]] = _merge(by_id.get(row["id"]), row)


def compute(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Verdicts from each part's `verdicts(doc)`; a claim nobody measured says so instead of guessing."""
    by_id: dict[str, dict[str, Any]] = {}
    for _, module in _parts():
        _judge(module, doc, by_id)
    return [described(by_id.get(cid) or {"id": cid, "verdict": "not-testable-here", "reason": NOT_MEASURED,
                                         "evidence": []}) for cid in claim_ids()]


# A merged document (parity merge) holds evidence from several platforms and machines. Each part judges each
# source on its own: compat and faults per platform (a Proactor cell exists only on Windows), benchmarks per
# run, i.e. per machine (ratios from two machines are never pooled). The part's sections say which sources it has.
SOURCE_KEY = {"parity.measuring.claims": ("run", "bench"), "parity.injecting.claims": ("platform", "faults")}
DEFAULT_SOURCE = ("platform", "compat")


def compute_by_source(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Verdicts over merged evidence: each source judged alone, then combined; every row lists in `by_platform`
    what each source said and names in its reason the source(s) that decided it."""
    from parity.results import rows
    from parity.sections import of_part

    judged: dict[str, dict[str, dict[str, Any]]] = {}  # source label -> claim id -> row
    sources: dict[str, dict[str, Any]] = {}
    for name, module in _parts():
        key, part = SOURCE_KEY.get(name, DEFAULT_SOURCE)
        values = sorted({str(r.get(key)) for s in of_part(part) for r in rows(doc, s) if r.get(key)})
        for value in values:
            sub = {k: ([r for r in rows(doc, k) if str(r.get(key)) == value] if isinstance(v, list) else v)
                   for k, v in doc.items()}
            label, info = _source(doc, key, value)
            sources[label] = info
            _judge(module, sub, judged.setdefault(label, {}))
    out = []
    for cid in claim_ids():
        by = [{"source": label, **sources[label], "verdict": rows_[cid]["verdict"], "reason": rows_[cid]["reason"],
               "decided": rows_[cid]["verdict"] != "not-testable-here"}
              for label, rows_ in judged.items() if cid in rows_]
        if not by:
            out.append(described({"id": cid, "verdict": "not-testable-here", "reason": NOT_MEASURED, "evidence": [],
                                  "by_platform": []}))
            continue
        evidence = [f"[{b['source']}] {e}" for b in by for e in judged[b["source"]][cid]["evidence"]]
        pairs = list(dict.fromkeys(p for b in by for p in judged[b["source"]][cid].get("pairs") or []))
        out.append(described({"id": cid, "verdict": combine([b["verdict"] for b in by]),
                              "reason": attribution(by), "evidence": evidence, "by_platform": by,
                              **({"pairs": pairs} if pairs else {})}))
    return out


def _source(doc: dict[str, Any], key: str, value: str) -> tuple[str, dict[str, Any]]:
    """(label, {platform, run}) of one source of evidence: a platform, or a run's machine for timings."""
    from parity.platforms import labels

    names = labels(doc)
    if key == "platform":
        return names.get(value, value), {"platform": value, "run": None}
    run = next((r for r in doc.get("runs") or [] if r.get("id") == value), {})
    machine = (run.get("machine") or {}).get("cpu_model") or "unknown CPU"
    platform = str(run.get("platform") or "")
    return f"{names.get(platform, platform)} on {machine} (run {value})", {"platform": platform, "run": value}


def attribution(by: list[dict[str, Any]]) -> str:
    """One line: which source decided the verdict and what the others said."""
    decided = [b for b in by if b["decided"]]
    rest = [b for b in by if not b["decided"]]
    if len(by) == 1:
        return f"{by[0]['reason']} [{by[0]['source']}]"
    head = "; ".join(f"decided on {b['source']}: {b['verdict']} — {b['reason']}" for b in decided)
    tail = "; ".join(f"{b['source']}: not-testable-here — {b['reason']}" for b in rest)
    return " | ".join(p for p in (head, tail) if p)


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

    merged = {"id": new["id"], "verdict": combine([old["verdict"], new["verdict"]]),
              "reason": f"{old['reason']}; {new['reason']}", "evidence": old["evidence"] + new["evidence"]}
    pairs = list(dict.fromkeys((old.get("pairs") or []) + (new.get("pairs") or [])))  # the pairs either judged
    return {**merged, "pairs": pairs} if pairs else merged
