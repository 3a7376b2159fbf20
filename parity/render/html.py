"""report.html: one self-contained page (plotly.js inline) a reviewer reads to decide whether to migrate."""

from __future__ import annotations

from importlib import resources
from typing import Any, Callable

from parity import platforms, roles
from parity.render import calibration, charts, langgraph_tests, merged, not_run, service, shadow_cost, tables, traffic
from parity.render.common import (
    NOT_MEASURED, VERDICTS, claim_ids, claim_title, claims_by_id, fmt_bytes, fmt_ci, fmt_ms,
    fmt_ratio, machine_line, ratio_sort_key, rows, status_counts, status_order,
)
from parity.render.tables import esc

Section = tuple[str, str, Callable[[dict[str, Any], charts.ChartWriter], str]]


def render_html(doc: dict[str, Any]) -> str:
    writer = charts.ChartWriter()
    sections = [(sid, title, _per_machine(sid, build, doc, writer)) for sid, title, build in _sections(doc)]
    nav = "".join(f'<a href="#{sid}">{esc(title)}</a>' for sid, title, _ in sections)
    body = "".join(f'<section id="{sid}"><h2>{esc(title)}</h2>{html}</section>' for sid, title, html in sections)
    run = doc.get("run") or {}
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>checkpoint-parity · {esc(run.get("id", "run"))}</title><style>{_css()}</style>'
            f"<script>{ERROR_CATCHER}</script></head><body>"
            f'<div id="js-errors" class="js-errors" hidden></div>{_header(doc)}<nav>{nav}</nav>'
            f"<main>{body}</main><footer>{_footer(doc)}</footer><script>{READY_MARKER}</script></body></html>\n")


def _sections(doc: dict[str, Any]) -> list[Section]:
    out: list[Section] = [
        ("claims", "Verdicts on the migration guide's claims", lambda d, w: _claims(d)),
        ("speed", "Speed-up: incumbent ÷ candidate", _speed),
        ("latency", "Latency per operation", _latency),
        ("compat", "Compatibility matrix", lambda d, w: COMPAT_NOTE * bool(rows(d, "cells")) + tables.compat_grid(d)),
        ("findings", "Findings", lambda d, w: tables.findings_list(d)),
        ("conformance", "Conformance suite", lambda d, w: tables.conformance_table(d)),
        ("growth", "Growth and concurrency", _growth),
        ("network", "Network delay", lambda d, w: _chart(w, charts.network_figure(rows(d, "network"), roles.of(d)), "network")),
        ("footprint", "Footprint per call", lambda d, w: _footprint(d)),
        ("durability", "Durability after a crash", lambda d, w: tables.durability_table(d)),
        ("faults", "Outages and faults", lambda d, w: _faults(d)),
        ("workloads", "Workloads", _workloads),
        ("floors", "Floors and harness overhead", lambda d, w: _floors(d)),
        ("servers", "Servers", lambda d, w: _servers(d)),
    ]
    if isinstance(doc.get("shadow"), dict):
        out.append(("shadow", "Your traffic: shadow recording", lambda d, w: traffic.shadow_html(d)))
    if rows(doc, "shadow_cost") or rows(doc, "shadow_faults"):
        out.append(("shadow-cost", "What the shadow costs the app", lambda d, w: shadow_cost.cost_html(d)))
    if service.section(doc) is not None:
        out.append(("service", "Your service under load", service.html))
    if isinstance(doc.get("replay"), dict):
        out.append(("replay", "Your traffic: replay of recorded threads", lambda d, w: traffic.replay_html(d)))
    if isinstance(doc.get("langgraph_tests"), dict):
        out.append(("langgraph-tests", "LangGraph's own tests", lambda d, w: langgraph_tests.langgraph_tests_html(d)))
    if isinstance(doc.get("calibration"), dict):
        out.append(("calibration", "What compare detects on this runner", lambda d, w: calibration.calibration_html(d)))
    if not_run.failed(doc) or not_run.not_run(doc):
        out.append(("not-run", not_run.TITLE, lambda d, w: not_run.html(d)))
    if "history" in doc:
        out.append(("trend", "Trend across runs", _trend))
    return out


def _per_machine(sid: str, build: Callable, doc: dict[str, Any], writer: charts.ChartWriter) -> str:
    """A benchmark section of a merged document from several machines: once per machine, never pooled."""
    runs = merged.machine_runs(doc, sid)  # parity/sections.py: which report sections, and the runs that timed them
    if not runs:
        return build(doc, writer)
    return "".join(f'<h3 class="machine">{esc(merged.machine_title(doc, r))}</h3>'
                   + build(merged.only_run(doc, str(r["id"])), _Prefixed(writer, f"m{n}"))
                   for n, r in enumerate(runs))


class _Prefixed:
    """A ChartWriter whose chart ids carry a prefix, so one chart per machine keeps a unique id."""

    def __init__(self, writer: charts.ChartWriter, prefix: str) -> None:
        self.writer, self.prefix = writer, prefix

    def div(self, fig: Any, name: str) -> str:
        return self.writer.div(fig, f"{self.prefix}-{name}")


def _chart(writer: charts.ChartWriter, fig: Any, name: str, note: str = "") -> str:
    if fig is None:
        return tables.empty()
    return (f'<p class="note">{note}</p>' if note else "") + f'<div class="chart">{writer.div(fig, name)}</div>'


# ---- header and claims ------------------------------------------------------------------------------

def _header(doc: dict[str, Any]) -> str:
    run, versions = doc.get("run") or {}, doc.get("versions") or {}
    when = " → ".join(str(t)[:19].replace("T", " ") for t in (run.get("started"), run.get("finished")) if t)
    commit = str(run.get("git_commit") or "")[:12] or None
    facts = [("run", run.get("id")), ("when (UTC)", when or None), ("commit", commit),
             ("provider", run.get("provider")), ("profile", run.get("profile")), ("machine", machine_line(doc))]
    if merged.is_merged(doc):  # several runs: their platforms; each run's machine is in the runs table
        facts[-1] = ("platforms", " | ".join(b.get("label", "") for b in platforms.listed(doc)))
    dl = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v if v else '–')}</dd></div>" for k, v in facts)
    libs = "".join(f'<span class="lib">{esc(k)} <b>{esc(v or "not installed")}</b></span>' for k, v in versions.items())
    from parity.incomplete import banner as incomplete
    from parity.measuring.repeatability import banner as noisy
    from parity.render import opening

    asked = "" if opening.is_guide_run(doc) else "".join(
        f'<p class="asked">{esc(line)}</p>' for line in opening.asked_lines(doc))

    banner = "".join(f'<div class="partial" role="alert">{esc(text)}</div>'
                     for text in (incomplete(doc), noisy(doc), merged.partial_text(doc)) if text)
    runs = (_details(f"{len(doc.get('runs') or [])} runs merged", tables.table(merged.run_rows(doc), [
        ("run", "run"), ("platform", "platform"), ("machine", "machine"), ("shard", "shard"), ("parts", "parts"),
        ("provider", "provider")])) if merged.is_merged(doc) else "")
    return (f'<header class="top">{banner}<h1>{esc(opening.title(doc))}</h1>{asked}'
            f'<dl class="facts">{dl}</dl>{runs}<div class="libs">{libs or esc("library versions not recorded")}</div>'
            f"{_summary(doc)}</header>")


def _summary(doc: dict[str, Any]) -> str:
    claims = claims_by_id(doc)
    verdicts = [claims.get(c, {}).get("verdict") for c in claim_ids(doc)]
    chips = [f'<span class="badge v-{v}">{verdicts.count(v)} {v}</span>' for v in VERDICTS if verdicts.count(v)]
    missing = sum(1 for v in verdicts if v not in VERDICTS)
    chips += [f'<span class="badge v-none">{missing} without verdict</span>'] if missing else []
    counts = status_counts(rows(doc, "cells"))
    cells = [f'<span class="st st-{s}">{counts[s]} {s}</span>' for s in status_order(counts)]
    n_find = len(rows(doc, "findings"))
    return (f'<div class="overview"><div><h3>Claims</h3>{"".join(chips)}</div>'
            f'<div><h3>Compat cells</h3>{"".join(cells) or esc(NOT_MEASURED)}</div>'
            f'<div><h3>Findings</h3><a href="#findings" class="big">{n_find}</a></div></div>')


EVIDENCE_SHOWN = 4  # the verdict table is read first: a few items inline, the rest one click away


def _evidence(items: list[Any]) -> str:
    shown = "".join(f"<li>{esc(e)}</li>" for e in items[:EVIDENCE_SHOWN])
    rest = items[EVIDENCE_SHOWN:]
    if not rest:
        return shown
    more = "".join(f"<li>{esc(e)}</li>" for e in rest)
    return f"{shown}<li><details><summary>{len(rest)} more</summary><ul>{more}</ul></details></li>"


def _claims(doc: dict[str, Any]) -> str:
    claims = claims_by_id(doc)
    body = []
    for cid in claim_ids(doc):
        row = claims.get(cid, {})
        verdict = str(row.get("verdict") or "none")
        evidence = _evidence(row.get("evidence") or [])
        body.append(f'<tr class="claim v-row-{esc(verdict)}"><th>{esc(cid)}</th>'
                    f'<td class="ctitle">{esc(claim_title(row, cid))}</td>'
                    f'<td><span class="badge v-{esc(verdict)}">{esc(verdict if row else "no verdict")}</span></td>'
                    f'<td>{_by_platform(row) or esc(row.get("reason") or "not evaluated in this run")}'
                    f'{f"<ul class=evidence>{evidence}</ul>" if evidence else ""}</td></tr>')
    return (f'<p class="note">{esc(roles.judged_line(doc))}</p>'
            f'<table class="claims"><thead><tr><th>ID</th><th>The guide says</th><th>Verdict</th>'
            f'<th>Why, and the evidence</th></tr></thead><tbody>{"".join(body)}</tbody></table>')


def _by_platform(row: dict[str, Any]) -> str:
    """A merged verdict with several sources: each platform's (or machine's) verdict and reason, deciders first."""
    by = [b for b in row.get("by_platform") or [] if isinstance(b, dict)]
    if len(by) < 2:
        return ""
    items = sorted(by, key=lambda b: not b.get("decided"))
    lis = "".join(f'<li class="{"decided" if b.get("decided") else "undecided"}"><b>{esc(b.get("source"))}</b> '
                  f'<span class="badge v-{esc(b.get("verdict"))}">{esc(b.get("verdict"))}</span> '
                  f'{"decided: " if b.get("decided") else ""}{esc(b.get("reason"))}</li>' for b in items)
    return f'<ul class="by-platform">{lis}</ul>'


# ---- measured sections ----------------------------------------------------------------------------------

COMPAT_NOTE = ('<p class="note">Each square is one scenario on one backend, API flavour and event loop, '
               "compared with the in-memory reference (claim C12). Hover for the reason; click ≠ or ✗ to open "
               "the finding and its diff. n/N: runs that diverged.</p>")
SPEED_NOTE = ("Each dot is the ratio of median latencies {0} ÷ {1} for one operation (> 1: {1} is faster), "
              "with its 95% bootstrap CI. Green bands: what the guide claims (writes 10–100×, reads 5–50×).")


def _speed(doc: dict[str, Any], w: charts.ChartWriter) -> str:
    ratios = sorted(rows(doc, "ratios"), key=ratio_sort_key)
    chart = _chart(w, charts.ratio_figure(doc, ratios), "ratios", SPEED_NOTE.format(*roles.ratio_words(roles.of(doc))))
    if not ratios:
        return chart
    cols = [("op", "op"), ("flavour", "flavour"), ("payload", "payload"), ("pairing", "pairing"),
            ("layout", "CPU layout"), ("repeat", "repeat"),
            ("numerator", "numerator"), ("denominator", "denominator"), ("median", "ratio"), ("ci", "95% CI")]
    data = [dict(r, ci=fmt_ci(r)) for r in ratios]
    return _headline(doc) + chart + _details("All ratios", tables.table(data, cols, fmt={"median": fmt_ratio}))


def _headline(doc: dict[str, Any]) -> str:
    """The headline ratios with this run's own repeats beside them: how far each moved with no code change."""
    from parity.measuring.repeatability import retimed_line

    rep = doc.get("repeatability") if isinstance(doc.get("repeatability"), dict) else None
    if not rep or not rep.get("headline"):
        return ""
    target = rep["target"]
    data = [dict(e, pair=f"{e['numerator']} ÷ {e['denominator']}", where=f"{e['flavour']}/{e.get('loop') or '-'}",
                 repeats=" · ".join(fmt_ratio(m) for m in e["medians"]), spread_pct=f"{e['spread']:.1%}",
                 ok="yes" if e["spread"] <= target else "no") for e in rep["headline"]]
    cols = [("op", "op"), ("where", "flavour/loop"), ("pair", "ratio"), ("layout", "CPU layout"),
            ("headline_text", "headline"), ("repeats", "median per repeat"), ("spread_pct", "spread"),
            ("ok", f"within ±{target:.0%}")]
    for d in data:
        d["headline_text"] = fmt_ratio(d["headline"]) if d.get("headline") else "–"
    note = (f"Headline ratios, each measured {len(rep['headline'][0]['medians'])} times in this run under one layout; "
            "the headline figure is the median over those repeats and the fresh processes below. "
            f"Spread: (largest − smallest) ÷ smallest median. Target ±{target:.0%} (this profile); stated uncertainty "
            f"±{rep['uncertainty']:.0%}." + (f" {rep['why']}." if rep.get("why") else "")
            + (f" {retimed_line(rep)}." if retimed_line(rep) else ""))
    procs = [dict(n, pair=f"{n['numerator']} ÷ {n['denominator']}", medians_text=" · ".join(fmt_ratio(m) for m in n["medians"]),
                  spread_pct=f"{n['spread']:.1%}", ok="yes" if n["spread"] <= target else "no")
             for n in rep.get("processes") or []]
    proc_html = ("<p class=\"note\">The sync headline ratios again in fresh worker processes (new interpreter, hash "
                 "seed and connections; same servers and layout): this process first, then each worker.</p>"
                 + tables.table(procs, [("op", "op"), ("pair", "ratio"), ("medians_text", "median per process"),
                                        ("spread_pct", "spread"), ("ok", f"within ±{target:.0%}")],
                                cls=lambda r: "" if r["ok"] == "yes" else "st-diverged")) if procs else ""
    return (f'<h3>Headline ratios and this run\'s own repeats</h3><p class="note">{esc(note)}</p>'
            + tables.table(data, cols, cls=lambda r: "" if r["ok"] == "yes" else "st-diverged") + proc_html)


def _latency(doc: dict[str, Any], w: charts.ChartWriter) -> str:
    data = rows(doc, "measurements")
    _, shown = charts.latency_selection(data)
    out = _chart(w, charts.latency_figure(data, roles.of(doc)), "latency",
                 "Dot: p50 · dash: p90 · whisker top: p99 (log scale). "
                 f"Absolute figures hold for this machine only (claim C3). {shown}")
    if not data:
        return out
    out += _chart(w, charts.histogram_figure(data, roles.of(doc)), "histograms") if any(m.get("hist") for m in data) else ""
    cols = [("backend", "backend"), ("flavour", "flavour"), ("loop", "loop"), ("op", "op"), ("payload", "payload"),
            ("settings", "settings"), ("n", "n"), ("p50_ms", "p50 ms"), ("p90_ms", "p90 ms"), ("p99_ms", "p99 ms"),
            ("mean_ms", "mean ms")]
    fmt = {k: fmt_ms for k in ("p50_ms", "p90_ms", "p99_ms", "mean_ms")}
    return out + _details("All latency rows", tables.table(data, cols, fmt=fmt))


def _growth(doc: dict[str, Any], w: charts.ChartWriter) -> str:
    data = rows(doc, "growth")
    return (_chart(w, charts.growth_figure(data, roles.of(doc)), "growth")
            + (_chart(w, charts.throughput_figure(data, roles.of(doc)), "throughput", "Throughput versus concurrency (claims C6, C13)")
               if any(g.get("throughput_ops") for g in data) else ""))


def _footprint(doc: dict[str, Any]) -> str:
    cols = [("backend", "backend"), ("op", "op"), ("commands_per_call", "commands / call"),
            ("round_trips", "round trips"), ("bytes_wire", "bytes on the wire"), ("server_cpu_ms", "server CPU ms"),
            ("bytes_stored_per_checkpoint", "stored / checkpoint")]
    return tables.table(rows(doc, "footprint"), cols, fmt={"bytes_wire": fmt_bytes, "server_cpu_ms": fmt_ms,
                                                           "bytes_stored_per_checkpoint": fmt_bytes})


def _faults(doc: dict[str, Any]) -> str:
    return ("<h3>Outages</h3>" + tables.free_table(rows(doc, "outages"), ("backend", "case", "observed"))
            + "<h3>Faults</h3>" + tables.free_table(rows(doc, "faults"), ("backend", "case", "observed")))


def _workloads(doc: dict[str, Any], w: charts.ChartWriter) -> str:
    wcols = [("name", "workload"), ("backend", "backend"), ("flavour", "flavour"), ("loop", "loop"),
             ("status", "status"), ("finding_ids", "findings")]
    status = tables.table(rows(doc, "workloads"), wcols, cls=lambda r: f"st-{r.get('status')}")
    timings = rows(doc, "workload_timings")
    cols = [("name", "workload"), ("backend", "backend"), ("flavour", "flavour"), ("step", "step"),
            ("median_ms", "median ms"), ("ci", "95% CI ms"), ("n", "n")]
    data = [dict(t, ci=fmt_ci(t, "ci_low_ms", "ci_high_ms", fmt_ms)) for t in timings]
    return (status + "<h3>Timings per step</h3>" + _chart(w, charts.workload_figure(timings, roles.of(doc)), "workloads")
            + (_details("Timings table", tables.table(data, cols, fmt={"median_ms": fmt_ms})) if timings else ""))


def _floors(doc: dict[str, Any]) -> str:
    overhead = doc.get("overhead") if isinstance(doc.get("overhead"), dict) else {}
    if overhead and overhead.get("p50_ms") is not None:
        frac = overhead.get("fraction_of_fastest")
        share = f" ({frac:.1%} of the fastest operation measured)" if isinstance(frac, (int, float)) else ""
        line = f"Harness overhead per timed call: p50 {fmt_ms(overhead['p50_ms'])} ms{share}."
    else:
        line = f"Harness overhead: {NOT_MEASURED}."
    spread = overhead.get("placement_spread")
    if spread:
        line += (f" A bare round trip with client and server on different CPUs took {spread} the time on one CPU:"
                 " the scheduler's placement alone moves figures between runs, most for savers making many round"
                 " trips per call.")
    return tables.floors_table(doc) + f'<p class="note">{esc(line)}</p>'


def _servers(doc: dict[str, Any]) -> str:
    why = (doc.get("run") or {}).get("provider_reason")
    html = tables.table(rows(doc, "servers"), [("family", "family"), ("provider", "provider"), ("version", "version"),
                                               ("url", "URL (password masked)"), ("settings", "settings")])
    html += f'<p class="note">{esc(why)}</p>' if why else ""
    events = rows(doc, "server_events")
    if events:  # the run's own servers failed mid-run (parity/servers/watch.py): named here, never as findings
        html += "<h3>What happened to the servers during the run</h3>" + tables.table(events, [
            ("line", "event"), ("since", "last answer before it"), ("cells", "cells spoiled (harness errors)"),
            ("saw", "what those cells saw")], fmt={"saw": lambda v: "; ".join(v or []) or "–"})
    cost = rows(doc, "provider_cost")
    if cost:  # a Testcontainers run measures what the container layer adds, beside embedded servers
        html += "<h3>What a container adds (same run, interleaved)</h3>" + tables.table(cost, [
            ("family", "family"), ("what", "round trip"), ("network", "network"),
            ("container_p50_ms", "container p50 ms"), ("embedded_p50_ms", "embedded p50 ms"),
            ("ratio", "container ÷ embedded"), ("ci_low", "CI low"), ("ci_high", "CI high")])
    return html


def _trend(doc: dict[str, Any], w: charts.ChartWriter) -> str:
    history = rows(doc, "history")
    _, note = charts.trend_selection(history)
    return _chart(w, charts.trend_figure(history), "trend", esc(note))


def _details(summary: str, html: str) -> str:
    return f"<details><summary>{esc(summary)}</summary>{html}</details>"


def _footer(doc: dict[str, Any]) -> str:
    version = (doc.get("versions") or {}).get("checkpoint-parity") or ""
    schema = esc(doc.get("schema_version"))
    return (f"Rendered by checkpoint-parity {esc(version)} from results.json (schema v{schema}). "
            "Self-contained: no network access needed to view this page.")


def _css() -> str:
    return resources.files("parity.render").joinpath("report.css").read_text(encoding="utf-8")


# Shows a banner instead of failing silently if a chart script breaks, and records console errors;
# the browser test reads the data-* markers.
ERROR_CATCHER = ("window.__parityErrors=[];window.addEventListener('error',function(e){"
                 "window.__parityErrors.push(String(e.message));var b=document.getElementById('js-errors');"
                 "if(b){b.hidden=false;"
                 "b.textContent='Some charts failed to render: '+window.__parityErrors.join('; ');}"
                 "document.documentElement.setAttribute('data-js-errors',window.__parityErrors.join('; '));});"
                 "(function(){var ce=console.error;console.error=function(){var r=document.documentElement;"
                 "r.setAttribute('data-console-errors',(r.getAttribute('data-console-errors')||'')"
                 "+Array.prototype.join.call(arguments,' ')+'; ');return ce.apply(console,arguments);};})();")
READY_MARKER = ("window.addEventListener('load',function(){var n=document.querySelectorAll('.chart .main-svg').length;"
                "document.documentElement.setAttribute('data-charts-rendered',String("
                "document.querySelectorAll('.chart .js-plotly-plot').length));"
                "document.documentElement.setAttribute('data-svgs',String(n));});")
