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
    from parity.files import make_dir, write_atomic

    out = make_dir(Path(out_dir))
    written = {}
    for name, render in OUTPUTS.items():
        written[name] = write_atomic(out / name, render(doc))  # a reader never sees half a report
    return written
