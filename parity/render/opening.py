"""How a run opens, on the console and at the top of the report: what was asked, and what was found.

A run that tested a pair (--pair; by default the built-in Postgres and Redis savers) answers the migration guide's
claims for it, so it opens with them. Any other run (a third-party --parity-saver alone, a workload check) opens with
the savers it was asked to test and what it found on them: the guide's claims compare two backends, and it had none.
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any, TextIO

from parity import roles
from parity.roles import REFERENCE


def asked(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The backends the run was asked to test (run.backends); for a document written before that field, the
    backends its cells ran on, as built-in ones."""
    listed = (doc.get("run") or {}).get("backends")
    if isinstance(listed, list) and listed:
        return [b for b in listed if isinstance(b, dict)]
    names = dict.fromkeys(str(c.get("backend")) for c in doc.get("cells") or [] if isinstance(c, dict))
    return [{"name": n, "origin": "built-in"} for n in names]


def judged_pairs(doc: dict[str, Any]) -> list[roles.Pair]:
    """The run's pairs (--pair, parity.roles) whose two backends it was asked to test (an old document whose
    backends cannot be told: all of them; it was then a guide run, the only kind there was)."""
    pairs = roles.of(doc)
    backends = asked(doc)
    if not backends:
        return pairs
    names = {b.get("name") for b in backends}
    return [p for p in pairs if p.incumbent in names and p.candidate in names]


def is_guide_run(doc: dict[str, Any]) -> bool:
    """True when the run tested a pair: the guide's claims are then judged on it (the default: Postgres -> Redis)."""
    return bool(judged_pairs(doc))


def _pair_words(doc: dict[str, Any]) -> str | None:
    """"Postgres → Redis" for the guide's own pair; "postgres → sqlite" for another; None: no pair tested."""
    pairs = judged_pairs(doc)
    if not pairs:
        return None
    if pairs[0] == roles.DEFAULT[0]:
        return "Postgres → Redis"
    return f"{pairs[0].incumbent} → {pairs[0].candidate}"


def backend_text(b: dict[str, Any]) -> str:
    if b.get("name") == REFERENCE and b.get("origin") == "built-in":
        return f"{REFERENCE} (the reference)"
    origin = "built-in" if b.get("origin") == "built-in" else b.get("origin")
    flavours = "+".join(b.get("flavours") or []) or "no flavour"
    return f"{b.get('name')} ({origin}; {flavours})"


def title(doc: dict[str, Any]) -> str:
    """The report's headline."""
    words = _pair_words(doc)
    if words == "Postgres → Redis":
        return "Postgres → Redis checkpointer: does the migration guide hold?"
    if words:
        return f"{words} checkpointer: do the migration guide's Postgres → Redis claims hold for this pair?"
    names = [str(b.get("name")) for b in asked(doc) if b.get("name") != REFERENCE] or [REFERENCE]
    return f"{', '.join(names)}: the same as the in-memory reference?"


def short_title(doc: dict[str, Any]) -> str:
    """A headline's few words: `Postgres → Redis`, or the savers asked."""
    words = _pair_words(doc)
    if words:
        return words
    return ", ".join(str(b.get("name")) for b in asked(doc) if b.get("name") != REFERENCE) or REFERENCE


def asked_lines(doc: dict[str, Any]) -> list[str]:
    """What was asked and what was found, for a run that is not the guide's pair."""
    lines = ["asked: " + ", ".join(backend_text(b) for b in asked(doc))]
    workloads = sorted({str(w.get("name")) for w in doc.get("workloads") or [] if isinstance(w, dict)})
    if workloads:
        lines.append("workloads: " + ", ".join(workloads))
    for b in asked(doc):
        cells = [c for c in doc.get("cells") or [] if c.get("backend") == b.get("name")]
        counts = Counter(str(c.get("status")) for c in cells)
        found = ", ".join(f"{n} {s}" for s, n in counts.most_common()) or "no cells ran"
        lines.append(f"found on {b.get('name')}: {found}")
    return lines


def print_opening(doc: dict[str, Any], command: str = "run", file: TextIO | None = None) -> None:
    """The guide's claim table for a guide run of `parity run`; otherwise what was asked and found."""
    from parity.incomplete import banner
    from parity.render.claims_table import print_claims_table

    out = file or sys.stdout
    if command == "run" and is_guide_run(doc):
        print_claims_table(doc, out)
        return
    top = banner(doc)
    out.write((f"{top}\n\n" if top else "") + "\n".join(asked_lines(doc)) + "\n")
