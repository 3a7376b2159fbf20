"""Facts every renderer shares: claim titles, status order, claimed bands, number formats."""

from __future__ import annotations

import re
from collections import Counter
from fnmatch import fnmatch
from typing import Any, Iterable

from parity.judging.findings import RUN_IDS
from parity.results import rows
from parity import statuses, verdicts
from parity.verdicts import VERDICTS

VERDICT_MARK = {"confirmed": "✅", "partly": "🟡", "refuted": "❌", "not-testable-here": "⚪"}
NOT_MEASURED = "not measured in this run"


def claim_title(row: dict[str, Any], cid: str) -> str:
    """The title a claim row carries (documents before titles were saved: the claims table's)."""
    known = verdicts.claim_of(cid)
    return str(row.get("title") or (known.title if known else ""))


def claimed_band(doc: dict[str, Any], op: str) -> tuple[float, float] | None:
    """The speed-up band (Postgres÷Redis) a claim row of the document states for this ratio op."""
    for row in rows(doc, "claims"):
        for band in _bands(row):
            if band.get("unit") == "x" and any(fnmatch(op, pattern) for pattern in band.get("bounds", ())):
                return float(band["low"]), float(band["high"])
    return None


def band_legend(doc: dict[str, Any]) -> str:
    """E.g. "C1 10–100×, C2 5–50×": the speed-up bands the document's claims state."""
    parts = [f"{row.get('id')} {b['low']:g}–{b['high']:g}×" for row in rows(doc, "claims") for b in _bands(row)
             if b.get("unit") == "x"]
    return ", ".join(parts) or "none stated"


def _bands(row: dict[str, Any]) -> list[dict[str, Any]]:
    if "bands" in row:
        return [b for b in row["bands"] if isinstance(b, dict)]
    known = verdicts.claim_of(str(row.get("id")))  # a document from before claim rows carried their bands
    return [b.to_dict() for b in known.bands] if known else []


def claims_by_id(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(c.get("id")): c for c in rows(doc, "claims")}


def claim_ids(doc: dict[str, Any]) -> list[str]:
    """The declared claims in order, then any other ids the document carries."""
    declared = verdicts.claim_ids()
    return list(declared) + sorted(i for i in claims_by_id(doc) if i not in declared)


def status_counts(cells: Iterable[dict[str, Any]]) -> Counter:
    return Counter(str(c.get("status", "?")) for c in cells)


def status_order(counts: Counter) -> list[str]:
    """The statuses present, in the order reports list them (parity/statuses.py), then any undeclared ones."""
    declared = statuses.names()
    return [s for s in declared if counts[s]] + sorted(s for s in counts if s not in declared)


def worst(present: Iterable[str]) -> str:
    """When several cells share a grid square, the worst status is shown (parity/statuses.py ranks them)."""
    found = set(present)
    ranked = [s for s in statuses.worst_first() if s in found]
    return ranked[0] if ranked else "?"


def column_label(backend: Any, flavour: Any, loop: Any) -> str:
    """A matrix column, named as the cells' ids name it (parity.cell_ids)."""
    from parity.cell_ids import matrix_id

    return matrix_id(backend, flavour, loop)


def fmt_ms(value: Any) -> str:
    if not isinstance(value, (int, float)):
        return "–"
    if value < 0.1:
        return f"{value:.3f}"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def fmt_ratio(value: Any) -> str:
    if not isinstance(value, (int, float)):
        return "–"
    return f"{value:.2f}×" if value < 10 else f"{value:.1f}×"


def fmt_ci(row: dict[str, Any], low: str = "ci_low", high: str = "ci_high", fmt=fmt_ratio) -> str:
    if row.get(low) is None or row.get(high) is None:
        return "CI n/a"
    return f"[{fmt(row[low])}, {fmt(row[high])}]"


def fmt_bytes(value: Any) -> str:
    if not isinstance(value, (int, float)):
        return "–"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return "–"


def machine_line(doc: dict[str, Any]) -> str:
    m = doc.get("machine") or {}
    mem = fmt_bytes(m.get("memory_bytes")) if m.get("memory_bytes") else None
    parts = [m.get("cpu_model"), f"{m['cores']} cores" if m.get("cores") else None, mem,
             m.get("os"), f"Python {m['python']}" if m.get("python") else None]
    return " · ".join(str(p) for p in parts if p) or "machine not recorded"


def ratio_label(row: dict[str, Any]) -> str:
    # Every field that tells two ratio rows apart belongs in the label, or the chart shows "(2)", "(3)"...
    flavour = "/".join(str(p) for p in (row.get("flavour"), row.get("loop")) if p)
    backends = f"{row['numerator']}÷{row['denominator']}" if row.get("numerator") and row.get("denominator") else None
    parts = [row.get("op"), flavour or None, row.get("payload"), backends]
    label = " · ".join(str(p) for p in parts if p is not None)
    pairing = row.get("pairing")
    label = f"{label} · {pairing}" if pairing and pairing != "interleaved" else label
    return f"{label} · run {row['repeat']}" if row.get("repeat", 1) != 1 else label


def ratio_class(doc: dict[str, Any], row: dict[str, Any]) -> str:
    """Where a ratio's CI sits against the claim: meets-claim | faster-below-claim | not-faster."""
    band = claimed_band(doc, str(row.get("op", "")))
    low = row.get("ci_low") if row.get("ci_low") is not None else row.get("median")
    high = row.get("ci_high") if row.get("ci_high") is not None else row.get("median")
    if band and isinstance(high, (int, float)) and high >= band[0]:
        return "meets-claim"
    if isinstance(low, (int, float)) and low > 1.0:
        return "faster-below-claim"
    return "not-faster"


_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean_text(text: Any) -> str:
    """Drop ANSI colour codes and replace characters XML 1.0 forbids (a diff may carry them)."""
    return _CONTROL.sub("\ufffd", _ANSI.sub("", "" if text is None else str(text)))


OP_ORDER = ("put", "put_writes", "get_tuple_latest", "get_tuple_by_id", "get_tuple", "list")


def op_key(op: Any) -> tuple[int, str]:
    name = str(op)
    return (OP_ORDER.index(name) if name in OP_ORDER else len(OP_ORDER), name)


def ratio_sort_key(row: dict[str, Any]) -> tuple:
    flavour = {"sync": 0, "async": 1}.get(str(row.get("flavour")), 2)
    return (op_key(row.get("op")), row.get("pairing") != "interleaved", flavour,
            payload_key(row.get("payload")))


def payload_key(payload: Any) -> tuple[float, str]:
    text = str(payload)
    match = re.match(r"^(\d+(?:\.\d+)?)\s*([KMG]?)i?B?$", text, re.I)
    if not match:
        return (float("inf"), text)
    scale = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}[match.group(2).upper()]
    return (float(match.group(1)) * scale, text)


def most_common_pairing(data: list[dict[str, Any]]) -> str | None:
    """The settings pairing most rows were measured under (ties: alphabetical), or None when rows carry none."""
    pairings = [str(r.get("pairing")) for r in data if r.get("pairing")]
    return max(sorted(set(pairings)), key=pairings.count) if pairings else None


def headline_selection(data: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str | None, dict[str, str], bool]:
    """Rows a reader can take in at once: the most common settings pairing, the first repeat, one loop per flavour.

    Returns (rows, pairing, {flavour: loop chosen}, whether anything was left out) so each renderer can say
    what it shows and where the rest is.
    """
    pairing = most_common_pairing(data)
    keep = [r for r in data if pairing is None or str(r.get("pairing")) == pairing]
    dropped = len({str(r.get("pairing")) for r in data if r.get("pairing")}) > 1
    if keep:
        first = min((r.get("repeat") or 1) for r in keep)
        dropped |= any((r.get("repeat") or 1) != first for r in keep)
        keep = [r for r in keep if (r.get("repeat") or 1) == first]
    chosen: dict[str, str] = {}
    for flavour in sorted({str(r.get("flavour")) for r in keep}):
        loops = [str(r.get("loop")) for r in keep if str(r.get("flavour")) == flavour and r.get("loop")]
        if len(set(loops)) > 1:
            chosen[flavour] = max(sorted(set(loops)), key=loops.count)
            keep = [r for r in keep if str(r.get("flavour")) != flavour or str(r.get("loop")) == chosen[flavour]]
            dropped = True
    return keep, pairing, chosen, dropped


def group_findings(findings: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Findings with one root cause: on one backend, the same saver call raising first (the finding's `cause`),
    else the same headline once ids and the values the scenario chose are masked. The headline names a cell's
    most significant difference (parity.judge.headline), so cells that fail first in the same way are one bug seen
    in several flavours, loops, parameters or scenarios; their other differences may vary, and the card shows
    each distinct diff (distinct_diffs)."""
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for f in findings:
        key = (f.get("backend"), f.get("workload"), bool(f.get("known")), cause(f))
        groups.setdefault(key, []).append(f)
    return list(groups.values())


def cause(finding: dict[str, Any]) -> str:
    """A finding's root cause: the saver call that raised first (parity.judging.causes), else its headline with what
    varies per cell masked: ids, and quoted values (a thread id, a namespace)."""
    text = _RUN_IDS.sub("<id>", str(finding.get("cause") or finding.get("summary") or ""))
    text = re.sub(r"<id\d+>", "<id>", text)
    return _QUOTED.sub(r"\1<value>", text)[:100]  # summaries are cut at 160 characters, masked ones vary in length


def distinct_diffs(group: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(diff, the findings showing it) for each different diff of a group, in order; run ids do not count."""
    out: dict[str, tuple[str, list[dict[str, Any]]]] = {}
    for f in group:
        diff = str(f.get("diff") or "")
        out.setdefault(_RUN_IDS.sub("<id>", diff), (diff, []))[1].append(f)
    return list(out.values())


_RUN_IDS = RUN_IDS  # ids that differ per run (parity.judging.findings)
_QUOTED = re.compile(r"""(=\s*)('[^']*'|"[^"]*")""")


def places(group: list[dict[str, Any]]) -> str:
    """"sync, async/uvloop": where the findings of a group were seen."""
    return ", ".join(dict.fromkeys("/".join(str(p) for p in (g.get("flavour"), g.get("loop")) if p) for g in group))


def seen_text(group: list[dict[str, Any]]) -> str:
    rates = [f"{g.get('seen', '?')} of {g.get('runs', '?')}" for g in group]
    if len(set(rates)) == 1:
        return f"seen in {rates[0]} runs" + (" each" if len(group) > 1 else "")
    return f"seen in {', '.join(rates)} runs"


def causes_line(findings: list[dict[str, Any]]) -> str:
    """"3 root causes (20 cells)": what a team has to fix, with the cells it fails beside it."""
    groups = group_findings(findings)
    return f"{len(groups)} root cause{'s' if len(groups) != 1 else ''} ({len(findings)} cell{'s' if len(findings) != 1 else ''})"
