"""The claim verdict table as plain text for the terminal (about 100 columns wide)."""

from __future__ import annotations

import sys
import textwrap
from collections import Counter
from typing import Any, TextIO

from parity import roles
from parity.render.common import VERDICTS, claim_ids, claim_title, claims_by_id

ID_W, VERDICT_W, CLAIM_W = 4, 17, 34


def format_claims_table(doc: dict[str, Any], width: int = 100) -> str:
    """One block per claim: id, verdict, short claim, and the reason wrapped to width."""
    reason_w = max(20, width - ID_W - VERDICT_W - CLAIM_W - 3)
    header = f"{'ID':<{ID_W}} {'VERDICT':<{VERDICT_W}} {'CLAIM':<{CLAIM_W}} REASON"
    lines = [roles.judged_line(doc), header, "-" * width]
    claims = claims_by_id(doc)
    for cid in claim_ids(doc):
        row = claims.get(cid, {})
        verdict = str(row.get("verdict") or "no verdict")
        title = textwrap.wrap(claim_title(row, cid), CLAIM_W) or [""]
        reason = textwrap.wrap(str(row.get("reason") or "not evaluated in this run"), reason_w) or [""]
        for i in range(max(len(title), len(reason))):
            left = f"{cid if i == 0 else '':<{ID_W}} {verdict.upper() if i == 0 else '':<{VERDICT_W}}"
            lines.append(f"{left} {_at(title, i):<{CLAIM_W}} {_at(reason, i)}".rstrip())
    lines += ["-" * width, verdict_totals(doc)]
    return "\n".join(lines) + "\n"


def verdict_totals(doc: dict[str, Any]) -> str:
    """E.g. `4 confirmed · 5 partly · 3 refuted · 2 not-testable-here · 1 without verdict`."""
    claims = claims_by_id(doc)
    counts = Counter(str(claims.get(cid, {}).get("verdict") or "without verdict") for cid in claim_ids(doc))
    order = [*VERDICTS, *sorted(k for k in counts if k not in VERDICTS)]
    return " · ".join(f"{counts[v]} {v}" for v in order if counts[v])


def print_claims_table(doc: dict[str, Any], file: TextIO | None = None, width: int = 100) -> None:
    from parity.incomplete import banner

    top = banner(doc)
    (file or sys.stdout).write((f"{top}\n\n" if top else "") + format_claims_table(doc, width))


def _at(parts: list[str], i: int) -> str:
    return parts[i] if i < len(parts) else ""
