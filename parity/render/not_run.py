"""The benchmarks and fault studies that gave no result, and why: the ones that failed (run.failed_tests) and the ones
that did not run (run.not_run_tests, each with its not-applicable reason). A cell of the compat matrix keeps its status
and reason on its row; these are the tests outside the matrix, which would otherwise say why only in pytest's output."""

from __future__ import annotations

from collections import Counter
from html import escape as esc
from typing import Any

from parity.render import tables

TITLE = "Benchmarks and studies without a result"


def failed(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in (doc.get("run") or {}).get("failed_tests") or [] if isinstance(r, dict)]


def not_run(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in (doc.get("run") or {}).get("not_run_tests") or [] if isinstance(r, dict)]


def kinds(rows: list[dict[str, Any]]) -> Counter:
    """Not-run tests by the kind of their first reason (parity.reasons.KINDS), "skipped" for a plain skip."""
    return Counter(((r.get("not_applicable") or [{}])[0].get("kind") or "skipped") for r in rows)


def _by_kind(rows: list[dict[str, Any]]) -> str:
    return ", ".join(f"{kind} {n}" for kind, n in kinds(rows).most_common())


def console_line(doc: dict[str, Any]) -> str | None:
    rows = not_run(doc)
    if not rows:
        return None
    return (f"not run: {len(rows)} benchmarks and studies outside the matrix ({_by_kind(rows)}); "
            "each reason is in the report")


def html(doc: dict[str, Any]) -> str:
    parts = []
    if failed(doc):
        parts.append("<h3>Could not run: no result came from them</h3>" + tables.table(
            failed(doc), _columns(failed(doc), [("id", "test"), ("phase", "phase"), ("reason", "last line")])))
    if rows := not_run(doc):
        parts.append(f"<h3>Not run, with why ({esc(_by_kind(rows))})</h3>"
                     + tables.table(rows, _columns(rows, [("id", "test"), ("reason", "why")])))
    return "".join(parts)


def _columns(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    # a merged document names the run each came from (parity merge)
    return columns + [("run", "run")] if any(r.get("run") for r in rows) else columns


def markdown(doc: dict[str, Any]) -> str:
    if not failed(doc) and not not_run(doc):
        return ""
    lines = [f"### {TITLE}", ""]
    lines += [f"- could not run: `{r.get('id')}` ({r.get('phase')}): {_md(r.get('reason'))}" for r in failed(doc)]
    rows = not_run(doc)
    if rows:
        lines.append(f"- not run: {len(rows)} ({_by_kind(rows)}); each reason in report.html")
    return "\n".join(lines)


def _md(value: Any) -> str:
    return str(value or "").strip().splitlines()[0][:200].replace("|", "\\|").replace("<", "&lt;") if value else ""
