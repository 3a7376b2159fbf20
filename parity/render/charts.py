"""Plotly figures for report.html, built from rows of the results document (None when no rows)."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any, Iterable

import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from parity import roles
from parity.render.common import (
    band_legend, claimed_band, headline_selection, most_common_pairing, op_key, payload_key, ratio_class, ratio_label, ratio_sort_key,
)

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
PALETTES = {  # per role (parity.roles): first series in the role's colour, further series (pools, ops) in shades
    "incumbent": ["#336791", "#6fa8dc", "#1c3d5a", "#9fc5e8"],  # Postgres's blue: the guide's incumbent
    "candidate": ["#d82c20", "#f28b82", "#8e1b14", "#f6b26b"],  # Redis's red: the guide's candidate
    "reference": ["#6e7781", "#afb8c1", "#424a53"],
}
OTHER = ["#8250df", "#1a7f37", "#bf8700", "#0969da", "#e16f24", "#57606a"]
RATIO_CLASSES = {  # class -> (legend text, colour)
    "meets-claim": ("CI reaches the claimed band", "#1a7f37"),
    "faster-below-claim": ("candidate faster, but below the claim", "#bf8700"),
    "not-faster": ("candidate not faster (CI reaches ≤ 1×)", "#cf222e"),
}
BAND_FILL = "rgba(26, 127, 55, 0.13)"
DIMENSION_LABELS = {"history": "checkpoints in the thread", "threads": "threads stored",
                    "state_bytes": "state size (bytes)", "concurrency": "concurrent callers"}
PLOT_CONFIG = {"displaylogo": False, "responsive": True,
               "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"]}


class ChartWriter:
    """Turns figures into <div>s; the first one carries plotly.js inline, the rest reuse it."""

    def __init__(self) -> None:
        self.count = 0

    def div(self, fig: go.Figure, name: str) -> str:
        first = self.count == 0
        self.count += 1
        return pio.to_html(fig, full_html=False, include_plotlyjs=first, config=PLOT_CONFIG,
                           div_id=f"chart-{name}", default_height=f"{fig.layout.height or 420}px")


def role_for(backend: str, pairs: Iterable[roles.Pair] = roles.DEFAULT) -> str | None:
    """The role a backend's series is coloured by: incumbent before candidate, the reference, or none."""
    played = roles.role_of(pairs, str(backend))
    if played:
        return "incumbent" if "incumbent" in played else "candidate"
    return "reference" if backend == roles.REFERENCE else None


def colour_for(backend: str, index: int, pairs: Iterable[roles.Pair] = roles.DEFAULT) -> str:
    palette = PALETTES.get(role_for(backend, pairs) or "")
    return palette[index % len(palette)] if palette else OTHER[index % len(OTHER)]


def _layout(fig: go.Figure, height: int, **extra: Any) -> go.Figure:
    settings: dict[str, Any] = dict(
        template="plotly_white", height=height, font=dict(family=FONT, size=13), hoverlabel=dict(font_size=12),
        margin=dict(l=10, r=20, t=60, b=50),
        legend=dict(orientation="h", yref="container", y=0.995, yanchor="top", xanchor="left", x=0))
    fig.update_layout(**{**settings, **extra})
    return fig


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


def _unique_labels(labels: list[str]) -> list[str]:
    seen: dict[str, int] = defaultdict(int)
    out = []
    for label in labels:
        seen[label] += 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def _series_colours(keys: Iterable[tuple], pairs: Iterable[roles.Pair] = roles.DEFAULT) -> dict[tuple, str]:
    """Stable colour per series: the palette of the backend's role, indexed by order of appearance."""
    pairs = list(pairs)
    used: dict[str, int] = defaultdict(int)
    colours = {}
    for key in keys:
        if key not in colours:
            colours[key] = colour_for(key[0], used[key[0]], pairs)
            used[key[0]] += 1
    return colours


# ---- speed-up ratios -------------------------------------------------------------------------

def ratio_figure(doc: dict[str, Any], ratios: list[dict[str, Any]]) -> go.Figure | None:
    data = sorted((r for r in ratios if _num(r.get("median"))), key=ratio_sort_key)
    if not data:
        return None
    labels = _unique_labels([ratio_label(r) for r in data])
    fig = go.Figure()
    for i, r in enumerate(data):
        band = claimed_band(doc, str(r.get("op", "")))
        if band:
            fig.add_shape(type="rect", xref="x", yref="y", x0=band[0], x1=band[1], y0=i - 0.42, y1=i + 0.42,
                          fillcolor=BAND_FILL, line_width=0, layer="below")
    fig.add_vline(x=1, line=dict(color="#57606a", width=1.5, dash="dash"),
                  annotation_text="same speed", annotation_position="bottom right")
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers",
                             name=f"claimed band ({band_legend(doc)})",
                             marker=dict(symbol="square", size=14, color=BAND_FILL.replace("0.13", "0.35"))))
    for cls, (name, colour) in RATIO_CLASSES.items():
        idx = [i for i, r in enumerate(data) if ratio_class(doc, r) == cls]
        if idx:
            fig.add_trace(_ratio_trace([data[i] for i in idx], [labels[i] for i in idx], name, colour))
    values = [v for r in data for v in (_num(r.get("ci_low")), _num(r.get("median")), _num(r.get("ci_high"))) if v]
    lo, hi = min(min(values) / 1.6, 0.5), max(max(values) * 1.6, 130)
    fig.update_xaxes(type="log", range=[math.log10(lo), math.log10(hi)], **_ratio_ticks(lo, hi),
                     title="{0} ÷ {1}, ratio of medians with 95% CI (> 1: {1} faster)".format(*roles.ratio_words(roles.of(doc))))
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=labels, autorange="reversed")
    return _layout(fig, 130 + 26 * len(data), margin=dict(l=10, r=20, t=60, b=60))


def _ratio_ticks(lo: float, hi: float) -> dict[str, list]:
    vals = [v for v in (0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500) if lo <= v <= hi]
    return {"tickvals": vals, "ticktext": [f"{v:g}×" for v in vals]}


def _ratio_trace(data: list[dict[str, Any]], labels: list[str], name: str, colour: str) -> go.Scatter:
    med = [float(r["median"]) for r in data]
    up = [max(0.0, (_num(r.get("ci_high")) or m) - m) for r, m in zip(data, med)]
    down = [max(0.0, m - (_num(r.get("ci_low")) or m)) for r, m in zip(data, med)]
    hover = [f"<b>{lab}</b><br>median {m:.2f}×  CI [{m - d:.2f}, {m + u:.2f}]<br>"
             f"{r.get('numerator', '?')} ÷ {r.get('denominator', '?')} · pairing {r.get('pairing', '?')}"
             for lab, m, u, d, r in zip(labels, med, up, down, data)]
    return go.Scatter(x=med, y=labels, mode="markers", name=name, hovertext=hover, hoverinfo="text",
                      marker=dict(color=colour, size=10, line=dict(color="white", width=1)),
                      error_x=dict(type="data", symmetric=False, array=up, arrayminus=down, color=colour, thickness=2))


# ---- latency -----------------------------------------------------------------------------------

def _varying(rows: list[dict[str, Any]], fields: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f for f in fields if len({str(r.get(f)) for r in rows}) > 1)


def latency_selection(measurements: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    """One series per backend (every pairing, loop and repeat on one chart gave some forty series and a
    legend nobody reads); the note says what was left to the table."""
    data, pairing, loops, dropped = headline_selection([m for m in measurements if _num(m.get("p50_ms"))])
    shown = ([f"settings pairing {pairing}"] if pairing else []) + [f"{f} under {lp}" for f, lp in loops.items()]
    note = f"Showing {', '.join(shown)}." if shown else ""
    return data, note + (" The other settings, loops and repeats are in the table below." if dropped else "")


def latency_figure(measurements: list[dict[str, Any]], pairs: Iterable[roles.Pair] = roles.DEFAULT) -> go.Figure | None:
    data, _ = latency_selection(measurements)
    if not data:
        return None
    flavours = sorted({str(m.get("flavour")) for m in data}, key=lambda f: {"sync": 0, "async": 1}.get(f, 2))
    payloads = sorted({str(m.get("payload")) for m in data}, key=payload_key)
    keys = sorted({_latency_key(m, data) for m in data})
    colours = _series_colours(keys, pairs)
    fig = make_subplots(rows=len(payloads), cols=len(flavours), shared_yaxes=True, horizontal_spacing=0.03,
                        vertical_spacing=0.22 / max(1, len(payloads) - 1) if len(payloads) > 1 else 0.1,
                        subplot_titles=[f"{f} API · payload {p}" for p in payloads for f in flavours])
    ops = sorted({str(m.get("op")) for m in data}, key=op_key)
    shown: set[tuple] = set()
    for r, payload in enumerate(payloads, start=1):
        for c, flavour in enumerate(flavours, start=1):
            for key in keys:
                pts = [m for m in data if str(m.get("flavour")) == flavour and str(m.get("payload")) == payload
                       and _latency_key(m, data) == key]
                for trace in _latency_traces(pts, key, colours[key], key not in shown) if pts else []:
                    fig.add_trace(trace, row=r, col=c)
                shown.update([key] if pts else [])
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=ops)
    fig.update_yaxes(type="log", dtick=1, exponentformat="none")
    fig.update_yaxes(title_text="ms per call", col=1)
    return _layout(fig, 120 + 360 * len(payloads), scattermode="group", scattergap=0.5,
                   margin=dict(l=10, r=20, t=80, b=40))


def _latency_key(m: dict[str, Any], data: list[dict[str, Any]]) -> tuple:
    """(backend, settings, loop): the loop only when one backend and flavour ran under several loops."""
    loops = {(str(x.get("backend")), str(x.get("flavour")), str(x.get("loop"))) for x in data}
    multi = len(loops) > len({(b, f) for b, f, _ in loops})
    # The pairing names the server settings in words ("strict: aof-always vs sync-commit-on"); raw settings
    # dicts are the fallback for rows that carry no pairing.
    settings = m.get("pairing") or m.get("settings") or ""
    return (str(m.get("backend")), str(settings), str(m.get("loop")) if multi else "")


def _latency_traces(pts: list[dict[str, Any]], key: tuple, colour: str, first: bool) -> list[go.Scatter]:
    name = " · ".join(k for k in key if k not in ("None", ""))
    group = "lat-" + name
    x = [str(m.get("op")) for m in pts]
    p50 = [float(m["p50_ms"]) for m in pts]
    up = [max(0.0, (_num(m.get("p99_ms")) or v) - v) for m, v in zip(pts, p50)]
    hover = [f"<b>{name}</b> · {m.get('op')} · {m.get('flavour')} {m.get('loop') or ''} · {m.get('payload')}<br>"
             f"p50 {m.get('p50_ms')} ms · p90 {m.get('p90_ms')} ms · p99 {m.get('p99_ms')} ms<br>"
             f"mean {m.get('mean_ms')} ms · n={m.get('n')}" for m in pts]
    main = go.Scatter(x=x, y=p50, mode="markers", name=name, legendgroup=group, showlegend=first, offsetgroup=group,
                      marker=dict(color=colour, size=9), hovertext=hover, hoverinfo="text",
                      error_y=dict(type="data", symmetric=False, array=up, arrayminus=[0] * len(up), color=colour,
                                   thickness=1.5, width=4))
    p90 = go.Scatter(x=x, y=[_num(m.get("p90_ms")) for m in pts], mode="markers", legendgroup=group, showlegend=False,
                     offsetgroup=group, hoverinfo="skip", marker=dict(symbol="line-ew", size=12, color=colour,
                                                                      line=dict(color=colour, width=2.5)))
    return [main, p90]


def histogram_figure(measurements: list[dict[str, Any]], pairs: Iterable[roles.Pair] = roles.DEFAULT) -> go.Figure | None:
    data = [m for m in measurements if isinstance(m.get("hist"), dict) and m["hist"].get("counts")]
    if not data:
        return None
    panels = sorted({(str(m.get("op")), str(m.get("flavour")), str(m.get("payload"))) for m in data},
                    key=lambda p: (op_key(p[0]), p[1] != "sync", p[2]))
    cols = 2 if len(panels) > 1 else 1
    nrows = math.ceil(len(panels) / cols)
    fig = make_subplots(rows=nrows, cols=cols, subplot_titles=[" · ".join(p) for p in panels],
                        vertical_spacing=min(0.12, 0.5 / nrows), horizontal_spacing=0.06)
    keys = sorted({(str(m.get("backend")),) for m in data})
    colours = _series_colours(keys, pairs)
    shown: set[str] = set()
    for i, panel in enumerate(panels):
        for m in data:
            if (str(m.get("op")), str(m.get("flavour")), str(m.get("payload"))) != panel:
                continue
            trace = _hist_trace(m, colours[(str(m.get("backend")),)], str(m.get("backend")) not in shown)
            if trace is not None:
                shown.add(str(m.get("backend")))
                fig.add_trace(trace, row=i // cols + 1, col=i % cols + 1)
    fig.update_xaxes(type="log", dtick=1, exponentformat="none", title_text="ms", title_standoff=2)
    fig.update_yaxes(title_text="share of calls", tickformat=".0%", rangemode="tozero")
    return _layout(fig, 90 + 230 * nrows, margin=dict(l=10, r=20, t=70, b=40))


def _hist_trace(m: dict[str, Any], colour: str, show_legend: bool) -> go.Scatter | None:
    edges, counts = m["hist"].get("edges_ms") or [], m["hist"].get("counts") or []
    if len(edges) != len(counts) + 1 or not sum(counts):
        return None
    total = float(sum(counts))
    mids = [math.sqrt(a * b) if a > 0 and b > 0 else (a + b) / 2 for a, b in zip(edges, edges[1:])]
    backend = str(m.get("backend"))
    return go.Scatter(x=mids, y=[c / total for c in counts], mode="lines", fill="tozeroy", opacity=0.6,
                      line=dict(color=colour, width=2, shape="hvh"), name=backend, legendgroup=backend,
                      showlegend=show_legend, hovertemplate="%{x:.3f} ms: %{y:.1%}<extra>" + backend + "</extra>")


# ---- growth, network, workloads, trend ------------------------------------------------------------

def _line_pair(pts: list[dict[str, Any]], x_field: str, name: str, colour: str, show: bool) -> list[go.Scatter]:
    pts = sorted(pts, key=lambda r: _num(r.get(x_field)) or 0)
    xs = [r.get(x_field) for r in pts]
    hover = [f"<b>{name}</b><br>{x_field}={r.get(x_field)}<br>p50 {r.get('p50_ms')} ms · p99 {r.get('p99_ms')} ms"
             + (f"<br>errors {r['errors']}" if r.get("errors") else "") for r in pts]
    errs = [r for r in pts if r.get("errors")]
    out = [go.Scatter(x=xs, y=[_num(r.get("p50_ms")) for r in pts], mode="lines+markers", name=name,
                      legendgroup=name, showlegend=show, line=dict(color=colour, width=2.5), hovertext=hover,
                      hoverinfo="text"),
           go.Scatter(x=xs, y=[_num(r.get("p99_ms")) for r in pts], mode="lines", name=name + " p99", legendgroup=name,
                      showlegend=False, line=dict(color=colour, width=1.5, dash="dot"), hovertext=hover,
                      hoverinfo="text")]
    if errs:
        out.append(go.Scatter(x=[r.get(x_field) for r in errs], y=[_num(r.get("p99_ms")) for r in errs],
                              mode="markers+text", text=[f"{r['errors']} errors" for r in errs],
                              textposition="top center", showlegend=False,
                              marker=dict(symbol="x", size=12, color="#cf222e"), textfont=dict(color="#cf222e"),
                              hoverinfo="skip", legendgroup=name))
    return out


def _error_bars(pts: list[dict[str, Any]], med: list[float], low: str, high: str) -> dict[str, Any]:
    """Asymmetric error bars from a CI; a missing bound draws no bar on that side."""
    return dict(type="data", symmetric=False,
                array=[max(0.0, (_num(p.get(high)) or m) - m) for p, m in zip(pts, med)],
                arrayminus=[max(0.0, m - (_num(p.get(low)) or m)) for p, m in zip(pts, med)])


def _series_name(key: tuple, fields: tuple[str, ...]) -> str:
    return " · ".join(str(v) for f, v in zip(fields, key) if v not in (None, "None", ""))


def growth_figure(growth: list[dict[str, Any]], pairs: Iterable[roles.Pair] = roles.DEFAULT) -> go.Figure | None:
    data = [g for g in growth if _num(g.get("x")) is not None]
    if not data:
        return None
    dims = [d for d in DIMENSION_LABELS if any(g.get("dimension") == d for g in data)]
    dims += sorted({str(g.get("dimension")) for g in data} - set(dims))
    cols = 2 if len(dims) > 1 else 1
    nrows = math.ceil(len(dims) / cols)
    data = [dict(g, pool=_pool_name(g.get("pool"))) for g in data]
    fields = ("backend",) + _varying(data, ("flavour", "op", "pool"))
    keys = sorted({tuple(str(g.get(f)) for f in fields) for g in data})
    colours = _series_colours(keys, pairs)
    fig = make_subplots(rows=nrows, cols=cols, vertical_spacing=min(0.16, 0.6 / nrows), horizontal_spacing=0.07,
                        subplot_titles=[f"vs {DIMENSION_LABELS.get(d, d)}" for d in dims])
    shown: set[tuple] = set()
    for i, dim in enumerate(dims):
        rows_ = [g for g in data if str(g.get("dimension")) == dim]
        for key in keys:
            pts = [g for g in rows_ if tuple(str(g.get(f)) for f in fields) == key]
            for trace in _line_pair(pts, "x", _series_name(key, fields), colours[key], key not in shown) if pts else []:
                fig.add_trace(trace, row=i // cols + 1, col=i % cols + 1)
            shown.update([key] if pts else [])
        xs = sorted({_num(g.get("x")) or 0 for g in rows_})
        _measured_ticks(fig, xs, dim, False, row=i // cols + 1, col=i % cols + 1)
    fig.update_yaxes(title_text="ms · solid p50, dotted p99", rangemode="tozero")
    return _layout(fig, 110 + 300 * nrows, margin=dict(l=10, r=20, t=90, b=40))


def _pool_name(pool: Any) -> str:
    """Rows without a pool used the saver's default pool; name them so, to keep one series per backend."""
    if isinstance(pool, dict):
        return ", ".join(f"{k}={v}" for k, v in pool.items()) or "default"
    return str(pool) if pool else "default"


def _measured_ticks(fig: go.Figure, xs: list[float], dim: str, title: bool = True, **where: int) -> None:
    """Ticks exactly at the measured x values (log axis when they span decades)."""
    log = xs and xs[0] > 0 and xs[-1] / xs[0] >= 50
    fig.update_xaxes(type="log" if log else "linear", tickvals=xs, ticktext=[_human(x, dim) for x in xs],
                     title_text=DIMENSION_LABELS.get(dim, dim) if title else None, title_standoff=4, **where)


def _human(x: float, dim: str) -> str:
    if dim == "state_bytes":
        for unit, size in (("MiB", 1024**2), ("KiB", 1024)):
            if x >= size:
                return f"{x / size:g} {unit}"
        return f"{x:g} B"
    for unit, size in (("M", 1e6), ("k", 1e3)):
        if x >= size:
            return f"{x / size:g}{unit}"
    return f"{x:g}"


def throughput_figure(growth: list[dict[str, Any]], pairs: Iterable[roles.Pair] = roles.DEFAULT) -> go.Figure | None:
    data = [dict(g, pool=_pool_name(g.get("pool"))) for g in growth
            if g.get("dimension") == "concurrency" and _num(g.get("throughput_ops"))]
    if not data:
        return None
    fields = ("backend",) + _varying(data, ("flavour", "op", "pool"))
    keys = sorted({tuple(str(g.get(f)) for f in fields) for g in data})
    colours = _series_colours(keys, pairs)
    fig = go.Figure()
    for key in keys:
        pts = sorted((g for g in data if tuple(str(g.get(f)) for f in fields) == key), key=lambda g: g["x"])
        text = [f"{g['errors']} errors" if g.get("errors") else "" for g in pts]
        fig.add_trace(go.Scatter(x=[g["x"] for g in pts], y=[g["throughput_ops"] for g in pts],
                                 mode="lines+markers+text", name=_series_name(key, fields), text=text,
                                 line=dict(color=colours[key], width=2.5),
                                 textposition="bottom center", textfont=dict(color="#cf222e")))
    _measured_ticks(fig, sorted({float(g["x"]) for g in data}), "concurrency")
    fig.update_yaxes(title="throughput (ops/s)", rangemode="tozero")
    return _layout(fig, 400)


def network_figure(network: list[dict[str, Any]], pairs: Iterable[roles.Pair] = roles.DEFAULT) -> go.Figure | None:
    data = [n for n in network if _num(n.get("delay_ms")) is not None]
    if not data:
        return None
    fields = ("backend",) + _varying(data, ("flavour", "op"))
    keys = sorted({tuple(str(n.get(f)) for f in fields) for n in data})
    colours = _series_colours(keys, pairs)
    fig = go.Figure()
    for key in keys:
        pts = [n for n in data if tuple(str(n.get(f)) for f in fields) == key]
        for trace in _line_pair(pts, "delay_ms", _series_name(key, fields), colours[key], True):
            fig.add_trace(trace)
    fig.update_xaxes(title="added one-way delay (ms)", tickvals=sorted({float(n["delay_ms"]) for n in data}))
    fig.update_yaxes(title="ms per call · solid p50, dotted p99", rangemode="tozero")
    return _layout(fig, 430)


def workload_figure(timings: list[dict[str, Any]], pairs: Iterable[roles.Pair] = roles.DEFAULT) -> go.Figure | None:
    data = [t for t in timings if _num(t.get("median_ms"))]
    if not data:
        return None
    many = len({str(t.get("name")) for t in data}) > 1
    fields = ("backend",) + _varying(data, ("flavour",))
    keys = sorted({tuple(str(t.get(f)) for f in fields) for t in data})
    colours = _series_colours(keys, pairs)
    fig = go.Figure()
    for key in keys:
        pts = [t for t in data if tuple(str(t.get(f)) for f in fields) == key]
        med = [float(t["median_ms"]) for t in pts]
        fig.add_trace(go.Bar(
            x=[f"{t.get('name')} · {t.get('step')}" if many else str(t.get("step")) for t in pts], y=med,
            name=_series_name(key, fields), marker_color=colours[key],
            error_y=_error_bars(pts, med, "ci_low_ms", "ci_high_ms")))
    fig.update_yaxes(title="median ms per step (95% CI)")
    return _layout(fig, 400, barmode="group")


def trend_selection(history: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    """Keep the trend readable: the most common pairing and the smallest payload; say so in a note."""
    data = [h for h in history if _num(h.get("median"))]
    if not data:
        return [], ""
    pairing = most_common_pairing(data)
    data = [h for h in data if pairing is None or str(h.get("pairing")) == pairing]
    payload = min({str(h.get("payload")) for h in data}, key=payload_key)
    data = [h for h in data if str(h.get("payload")) == payload]
    parts = (f"pairing {pairing}" if pairing else "", f"payload {payload}" if payload != "None" else "")
    shown = ", ".join(p for p in parts if p)
    return data, (f"Showing {shown}; every ratio of every run is in the run history "
                  "(~/.cache/checkpoint-parity/history.jsonl unless --history moved it)." if shown else "")


def trend_figure(history: list[dict[str, Any]]) -> go.Figure | None:
    data, _ = trend_selection(history)
    if not data:
        return None
    fields = ("op",) + _varying(data, ("flavour", "payload", "pairing"))
    keys = sorted({tuple(str(h.get(f)) for f in fields) for h in data}, key=lambda k: (op_key(k[0]), k))
    fig = go.Figure()
    for i, key in enumerate(keys):
        pts = sorted((h for h in data if tuple(str(h.get(f)) for f in fields) == key), key=lambda h: str(h.get("time")))
        med = [float(h["median"]) for h in pts]
        fig.add_trace(go.Scatter(
            x=[h.get("time") or h.get("run_id") for h in pts], y=med, mode="lines+markers",
            name=_series_name(key, fields),
            line=dict(color=OTHER[i % len(OTHER)], width=2), hovertext=[h.get("run_id") for h in pts],
            error_y=_error_bars(pts, med, "ci_low", "ci_high")))
    fig.add_hline(y=1, line=dict(color="#57606a", dash="dash", width=1))
    values = [v for h in data for v in (_num(h.get("ci_low")), _num(h.get("median")), _num(h.get("ci_high"))) if v]
    lo, hi = min(min(values), 1.0) / 1.3, max(max(values), 1.0) * 1.3
    fig.update_yaxes(type="log", range=[math.log10(lo), math.log10(hi)], **_ratio_ticks(lo, hi),
                     title="incumbent ÷ candidate (median, 95% CI)")
    return _layout(fig, 400)
