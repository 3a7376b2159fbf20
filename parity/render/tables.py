"""HTML tables of report.html: compat matrix, findings, conformance and plain row tables."""

from __future__ import annotations

import re
from collections import defaultdict
from html import escape
from typing import Any, Callable, Sequence

from parity import roles, statuses, versions
from parity.platforms import labels
from parity.render import merged
from parity.render.common import (
    NOT_MEASURED, causes_line, clean_text, distinct_diffs, fmt_ms, group_findings, places, rows, seen_text, status_counts, status_order,
    worst,
)

ROLE_ORDER = {"reference": 0, "incumbent": 1, "candidate": 2}  # columns: the reference, then each pair's two sides
FLAVOUR_ORDER = {"sync": 0, "async": 1}
LOOP_ORDER = {"None": 0, "selector": 1, "uvloop": 2, "proactor": 3, "winloop": 4}


def esc(value: Any) -> str:
    return escape(clean_text(value), quote=True)


def anchor(finding_id: Any) -> str:
    """The id attribute of a finding; the compat grid links to `#finding-<id>`."""
    return "finding-" + re.sub(r"\s+", "-", clean_text(finding_id))


def empty(note: str = NOT_MEASURED) -> str:
    return f'<p class="empty">{esc(note)}</p>'


def table(data: list[dict[str, Any]], columns: Sequence[tuple[str, str]],
          cls: Callable[[dict[str, Any]], str] = lambda r: "", fmt: dict[str, Callable[[Any], str]] | None = None,
          cell_cls: Callable[[str, dict[str, Any]], str] = lambda f, r: "") -> str:
    """A plain table of rows; columns are (field, heading); a missing field shows as –."""
    if not data:
        return empty()
    fmt = fmt or {}
    head = "".join(f"<th>{esc(h)}</th>" for _, h in columns)
    body = []
    for r in data:
        tds = "".join(f'<td class="{cell_cls(f, r)}">{esc(fmt[f](r.get(f)) if f in fmt else _plain(r.get(f)))}</td>'
                      for f, _ in columns)
        body.append(f'<tr class="{cls(r)}">{tds}</tr>')
    return (f'<div class="scroll"><table class="rows"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def free_table(data: list[dict[str, Any]], first: Sequence[str]) -> str:
    """A table of free-form rows: the `first` fields, then every other field seen, in order of appearance."""
    cols = list(first) + [k for k in dict.fromkeys(k for r in data for k in r) if k not in first]
    return table(data, [(c, c.replace("_", " ")) for c in cols])


def _plain(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


# ---- compat matrix ------------------------------------------------------------------------------

def _backend_rank(backend: str, pairs: list[roles.Pair] = list(roles.DEFAULT)) -> int:
    """The reference first, then incumbents, then candidates (the full savers of the first pair before the others),
    then every other backend."""
    if backend == roles.REFERENCE:
        return 0
    for i, p in enumerate(pairs):
        if backend == p.incumbent:
            return 1 + 2 * i
        if backend == p.candidate:
            return 2 + 2 * i
    return 99


def _column_key(col: tuple[str, ...], order: dict[str, int] | None = None, pairs: list | None = None) -> tuple:
    backend, flavour, loop = col[:3]
    platform = col[3] if len(col) > 3 else ""
    return (_backend_rank(backend, pairs or list(roles.DEFAULT)), backend, FLAVOUR_ORDER.get(flavour, 9), LOOP_ORDER.get(loop, 9), loop,
            (order or {}).get(platform, 9), platform)


def compat_grid(doc: dict[str, Any]) -> str:
    """Scenario rows x backend/flavour/loop columns; a merged document from several platforms shows the same cell
    on each platform in adjacent columns (a third header row names the platform)."""
    cells = rows(doc, "cells")
    if not cells:
        return empty()
    names = merged.short_names(doc) if merged.multi_platform(doc) else {}
    order = {pid: n for n, pid in enumerate(names)}
    grid: dict[tuple[str, tuple], list[dict[str, Any]]] = defaultdict(list)
    for c in cells:
        col = (str(c.get("backend")), str(c.get("flavour")), str(c.get("loop")),
               str(c.get("platform") or "") if names else "")
        grid[(str(c.get("scenario")), col)].append(c)
    cols = sorted({col for _, col in grid}, key=lambda c: _column_key(c, order, roles.of(doc)))
    scenarios = sorted({s for s, _ in grid})
    spans: dict[str, int] = defaultdict(int)
    sub_spans: dict[tuple, int] = defaultdict(int)
    for col in cols:
        spans[col[0]] += 1
        sub_spans[col[:3]] += 1
    rowspan = 3 if names else 2
    top = "".join(f'<th colspan="{n}" class="bk bk-{esc(b)}">{esc(b)}</th>' for b, n in spans.items())
    sub = "".join(f'<th colspan="{n}" class="col">{esc(f)}' + (f"<br>{esc(l)}" if l != "None" else "") + "</th>"
                  for (_, f, l), n in sub_spans.items())
    plat = "".join(f'<th class="plat" title="{esc(col[3])}">{esc(names.get(col[3], col[3] or "?"))}</th>'
                   for col in cols) if names else ""
    body = []
    for s in scenarios:
        tds = "".join(_grid_cell(grid.get((s, col), []), first=bool(names) and col == _first_of(cols, col))
                      for col in cols)
        body.append(f'<tr id="scenario-{esc(s)}"><th class="scen">{esc(s)}</th>{tds}</tr>')
    marks = statuses.symbols()
    legend = " ".join(f'<span class="st st-{s}">{marks.get(s, "?")} {s} ({n})</span>'
                      for s, n in _ordered_counts(cells))
    head = f'<tr><th rowspan="{rowspan}">scenario</th>{top}</tr><tr>{sub}</tr>' + (f"<tr>{plat}</tr>" if plat else "")
    return (f'<div class="scroll"><table class="grid"><thead>{head}</thead><tbody>{"".join(body)}</tbody></table>'
            f'</div><p class="legend">{legend}</p>')


def _first_of(cols: list[tuple], col: tuple) -> tuple:
    return next(c for c in cols if c[:3] == col[:3])


def _ordered_counts(cells: list[dict[str, Any]]) -> list[tuple[str, int]]:
    counts = status_counts(cells)
    return [(s, counts[s]) for s in status_order(counts)]


def _grid_cell(cells: list[dict[str, Any]], first: bool = False) -> str:
    edge = " pl-first" if first else ""
    if not cells:
        return f'<td class="st st-none{edge}" title="not run">·</td>'
    status = worst(str(c.get("status")) for c in cells)
    tips = [f"{c.get('status')}: {c.get('reason') or ''} ({c.get('id')})".replace(":  (", " (") for c in cells]
    finding = next((f for c in cells if c.get("status") == status for f in (c.get("finding_ids") or [])), None)
    label = statuses.symbols().get(status, "?") + (f"<small>×{len(cells)}</small>" if len(cells) > 1 else "")
    runs = next((c for c in cells if c.get("status") == status and c.get("diverged_runs")), None)
    if runs and runs.get("runs"):
        label += f'<small>{runs["diverged_runs"]}/{runs["runs"]}</small>'
    if finding is not None:
        label = f'<a href="#{esc(anchor(finding))}">{label}</a>'
    return f'<td class="st st-{esc(status)}{edge}" title="{esc(chr(10).join(tips))}">{label}</td>'


# ---- findings -------------------------------------------------------------------------------------

def findings_list(doc: dict[str, Any]) -> str:
    findings = rows(doc, "findings")
    if not findings:
        return empty("no divergences found" if rows(doc, "cells") else NOT_MEASURED)
    cells_by_finding: dict[str, list[str]] = defaultdict(list)
    for c in rows(doc, "cells"):
        for fid in c.get("finding_ids") or []:
            cells_by_finding[str(fid)].append(str(c.get("id")))
    groups = group_findings(findings)
    # One root cause seen in several cells is one card (a run had ~70 cards).
    intro = (f'<p class="note">{esc(causes_line(findings))}: cells failing from the same saver call, or whose most '
             "significant difference is the same, in any flavour, loop or scenario, are one card.</p>"
             ) if len(groups) < len(findings) else ""
    return intro + "".join(
        _finding(group, list(dict.fromkeys(c for f in group for c in cells_by_finding.get(str(f.get("id")), []))),
                 labels(doc)) for group in groups)


def _finding(group: list[dict[str, Any]], cell_ids: list[str], names: dict[str, str] | None = None) -> str:
    f = group[0]
    where = " · ".join(p for p in (esc(f.get("backend")), esc(places(group))) if p)
    anchors = "".join(f'<span id="{esc(anchor(g.get("id")))}"></span>' for g in group[1:])
    known = f.get("known") if isinstance(f.get("known"), dict) else None
    badge = '<span class="tag tag-known">known divergence</span>' if known else '<span class="tag tag-new">new</span>'
    contract = f.get("contract") if isinstance(f.get("contract"), dict) else None
    if contract:  # a rule of LangGraph broken on the saver's own output: a promise, or a convention (reported apart)
        badge += f' <span class="tag">{"broken promise" if contract.get("kind") == "promise" else "convention"}</span>'
    seen = esc(seen_text(group))
    note = ""
    if known:
        link = known.get("upstream")
        note = f'<p class="known">{esc(known.get("note") or known.get("reason") or "")}' + (
            f' · <a href="{esc(link)}" rel="noopener noreferrer">upstream report</a>' if link else "") + "</p>"
    partly = f.get("partly_explained") if isinstance(f.get("partly_explained"), dict) else None
    if partly:  # why a listed upstream bug did not waive this cell: something else differs too
        note += (f'<p class="known">Partly explained by a known divergence ({esc(partly.get("reason", ""))}), '
                 f'but not these differences:</p>{diff_block(partly.get("unexplained"))}')
    cells = f'<p class="cells">cells: {", ".join(f"<code>{esc(c)}</code>" for c in cell_ids)}</p>' if cell_ids else ""
    variants = distinct_diffs(group)
    diffs = diff_block(f.get("diff")) + "".join(
        f'<p class="cells">the diff in {esc(places(shown))} ({esc(", ".join(sorted({str(g.get("scenario")) for g in shown})))}):</p>'
        f'{diff_block(d)}' for d, shown in variants[1:3])
    on = sorted({p for g in group for p in g.get("platforms") or []})
    if on:  # a merged document: the platforms this same difference occurred on
        names = names or {}
        cells = f'<p class="platforms">seen on: {esc(", ".join(names.get(p, p) for p in on))}</p>' + cells
    seen_with = versions.of_group(group)
    if seen_with:  # the releases it was seen on: the lowest supported and the newest may differ
        cells = f'<p class="versions">versions: {esc("; ".join(seen_with))}</p>' + cells
    for other in f.get("other_diffs") or []:  # the same finding, its diff differing in detail on another platform
        cells += (f'<details><summary>diff on {esc(names.get(other.get("platform"), other.get("platform")))}'
                  f'</summary>{diff_block(other.get("diff"))}</details>')
    if f.get("example"):  # a generated finding: the shrunk input and the standalone script that reproduces it
        repro = (f' · <a href="{esc(f["repro"])}">repro script</a> (<code>python {esc(f["repro"])} memory</code> '
                 'passes, with the saver\'s URL it fails)') if f.get("repro") else ""
        cells += (f'<p class="cells">shrunk input after {esc(f.get("examples_run") or "?")} examples{repro}:</p>'
                  f'<pre class="diff">{esc(str(f["example"])[:3000])}</pre>')
    kind = "finding known" if known else "finding"
    scenarios = list(dict.fromkeys(str(g.get("scenario")) for g in group))
    scenario_links = ", ".join(f'<a href="#scenario-{esc(sc)}">{esc(sc)}</a>' for sc in scenarios)
    ids = " ".join(f"<code>{esc(g.get('id'))}</code>" for g in group)
    return (f'<article class="{kind}" id="{esc(anchor(f.get("id")))}">{anchors}<header>{ids} '
            f'<span class="tag">{esc(f.get("claim", "?"))}</span> {badge} <span class="where">{where} · '
            f'{scenario_links} · {seen}</span></header>'
            f'<p class="fsum">{esc(f.get("summary", ""))}</p>{note}{cells}{diffs}</article>')


def diff_block(diff: Any) -> str:
    lines = clean_text(diff).splitlines()
    if not lines:
        return ""
    out = []
    for line in lines:
        kind = ("hunk" if line.startswith("@@") else "hdr" if line.startswith(("---", "+++"))
                else "add" if line.startswith("+") else "del" if line.startswith("-") else "ctx")
        out.append(f'<span class="d-{kind}">{esc(line)}</span>')
    return f'<pre class="diff">{chr(10).join(out)}</pre>'


# ---- conformance, durability ------------------------------------------------------------------------

def conformance_table(doc: dict[str, Any]) -> str:
    data = rows(doc, "conformance")
    if not data:
        return empty()
    cols = sorted({(str(r.get("backend")), str(r.get("flavour")), "None") for r in data},
                  key=lambda c: _column_key(c, None, roles.of(doc)))
    caps = list(dict.fromkeys(str(r.get("capability")) for r in data))
    index = {(str(r.get("capability")), str(r.get("backend")), str(r.get("flavour"))): r for r in data}
    head = "".join(f'<th class="col">{esc(b)}<br>{esc(f)}</th>' for b, f, _ in cols)
    body = []
    for cap in caps:
        tds = []
        for b, f, _ in cols:
            r = index.get((cap, b, f))
            st = str(r.get("status")) if r else "none"
            tip = esc(r.get("detail") or st) if r else "not run"
            text = str(r.get("detail") or "") if r else ""
            # The cell shows the gist; the full assertion text is in the tooltip and in the finding.
            shown = text if len(text) <= 160 else text[:159] + "…"
            detail = f'<small class="detail">{esc(shown)}</small>' if shown else ""
            tds.append(f'<td class="st st-{esc(st)}" title="{tip}">{statuses.symbols().get(st, "·")} {esc(st if r else "")}'
                       f"{detail}</td>")
        body.append(f'<tr><th class="scen">{esc(cap)}</th>{"".join(tds)}</tr>')
    return (f'<div class="scroll"><table class="grid conf"><thead><tr><th>capability</th>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def durability_table(doc: dict[str, Any]) -> str:
    cols = [("backend", "backend"), ("settings", "settings"), ("fault", "fault"),
            ("acknowledged", "acknowledged writes"), ("lost", "lost"), ("unresumable", "unresumable threads")]
    return table(rows(doc, "durability"), cols,
                 cls=lambda r: "bad" if (r.get("lost") or r.get("unresumable")) else "good",
                 cell_cls=lambda f, r: ("nonzero" if r.get(f) else "zero") if f in ("lost", "unresumable") else "")


def floors_table(doc: dict[str, Any]) -> str:
    cols = [("backend", "backend"), ("what", "floor"), ("p50_ms", "p50 ms"), ("p99_ms", "p99 ms")]
    return table(rows(doc, "floors"), cols, fmt={"p50_ms": fmt_ms, "p99_ms": fmt_ms})


