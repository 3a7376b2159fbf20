"""The compat cells as JUnit XML: one testcase per cell, findings' diffs in the failures."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from typing import Any

from parity.platforms import labels
from parity.render import merged
from parity import statuses
from parity.render.common import clean_text, rows

# JUnit readers expect a message attribute on one line; the full text goes in the element body.
MESSAGE_LIMIT = 300


def render_junit(doc: dict[str, Any]) -> str:
    cells = rows(doc, "cells")
    findings = {str(f.get("id")): f for f in rows(doc, "findings")}
    run = doc.get("run") or {}
    suite = ET.Element("testsuite", name="checkpoint-parity", timestamp=_text(run.get("started")))
    props = ET.SubElement(suite, "properties")
    for key in ("id", "git_commit", "provider", "profile"):
        ET.SubElement(props, "property", name=f"run.{key}", value=_text(run.get(key)))
    partial = merged.partial_text(doc)
    if partial:
        ET.SubElement(props, "property", name="run.partial", value=partial)
    # A merged document holds the same cell once per platform: the platform joins the name to keep names unique.
    names = labels(doc) if merged.multi_platform(doc) else {}
    for cell in cells:
        suite.append(_testcase(cell, findings, names.get(str(cell.get("platform")))))
    counts = Counter(_kind(str(c.get("status"))) for c in cells)
    total_time = sum(c.get("duration_s") or 0 for c in cells if isinstance(c.get("duration_s"), (int, float)))
    attrs = {"tests": len(cells), "failures": counts["failure"], "errors": counts["error"],
             "skipped": counts["skipped"], "time": f"{total_time:.3f}"}
    suite.attrib.update({k: str(v) for k, v in attrs.items()})
    root = ET.Element("testsuites", name=f"checkpoint-parity {_text(run.get('id'))}".strip(),
                      **{k: str(v) for k, v in attrs.items()})
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def classname(cell: dict[str, Any]) -> str:
    """`compat.test_history.redis`: the cell's module (or its nodeid's file, or its scenario) and backend."""
    nodeid = str(cell.get("id", ""))
    path = nodeid.split("::", 1)[0] if "::" in nodeid else None
    module = cell.get("module") or path or str(cell.get("scenario") or "parity")
    module = str(module).removesuffix(".py").replace("/", ".").replace("\\", ".")
    return f"{module}.{cell.get('backend', 'unknown')}"


def _testcase(cell: dict[str, Any], findings: dict[str, dict[str, Any]], platform: str | None = None) -> ET.Element:
    duration = cell.get("duration_s")
    name = f"{cell.get('id')} [{platform}]" if platform else cell.get("id")
    case = ET.Element("testcase", classname=_text(classname(cell)), name=_text(name),
                      time=f"{duration:.3f}" if isinstance(duration, (int, float)) else "0")
    status = str(cell.get("status"))
    kind = _kind(status)
    reason = _text(cell.get("reason"))
    message = _one_line(f"{status}: {reason}" if reason else status)
    if kind == "skipped":
        ET.SubElement(case, "skipped", message=message)
    elif kind in ("failure", "error"):
        body = _failure_body(cell, findings)
        child = ET.SubElement(case, kind, message=message, type=status)
        child.text = body
    return case


def _failure_body(cell: dict[str, Any], findings: dict[str, dict[str, Any]]) -> str:
    parts = []
    if cell.get("runs") and cell.get("diverged_runs"):
        parts.append(f"diverged in {cell.get('diverged_runs', '?')} of {cell['runs']} runs")
    for fid in cell.get("finding_ids") or []:
        f = findings.get(str(fid))
        if f is None:
            parts.append(f"finding {fid}: (not in this document)")
            continue
        parts.append(f"finding {fid} [{f.get('claim', '?')}]: {f.get('summary', '')}\n{f.get('diff', '')}")
    return _text("\n\n".join(parts) or cell.get("reason") or cell.get("status"))


def _kind(status: str) -> str:
    """failure, error, skipped or passed, as parity/statuses.py declares (a divergence is a failed expectation, not
    a crash)."""
    return statuses.junit_kind(status)


def _text(value: Any) -> str:
    return clean_text(value) if value is not None else ""


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= MESSAGE_LIMIT else flat[: MESSAGE_LIMIT - 1] + "…"
