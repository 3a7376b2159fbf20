"""Renderers of the results document: report.html, summary.md, junit.xml and the terminal claims table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from parity.render.claims_table import format_claims_table, print_claims_table
from parity.render.html import render_html
from parity.render.junit import render_junit
from parity.render.markdown import render_markdown

OUTPUTS = {"report.html": render_html, "summary.md": render_markdown, "junit.xml": render_junit}

__all__ = ["OUTPUTS", "format_claims_table", "print_claims_table", "render_all", "render_html", "render_junit",
           "render_markdown"]


def render_all(doc: dict[str, Any], out_dir: Path | str) -> dict[str, Path]:
    """Write report.html, summary.md and junit.xml into out_dir; return {file name: path}."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, render in OUTPUTS.items():
        path = out / name
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(render(doc), encoding="utf-8")
        tmp.replace(path)  # a reader never sees half a report
        written[name] = path
    return written
