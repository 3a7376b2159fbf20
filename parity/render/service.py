"""Your service under load in the report: the `service` section as a chart (latency vs offered rate), tables and
the claims' service-level lines, in HTML and Markdown."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from parity.render.charts import _layout, colour_for
from parity.render.common import fmt_ms
from parity.render.tables import esc, table

NOTE = ("Each request is one conversation turn of the workload (a new thread runs to its interrupt; otherwise the "
        "oldest waiting thread takes its next turn), served by a FastAPI app on uvicorn, one process per backend, "
        "its async saver opened once. k6's constant-arrival-rate executor offers each rate open loop: requests start "
        "on schedule whether or not earlier ones finished; a request k6 could not start on time is dropped and the "
        "rate is then not sustained. The two apps of a pair take turns rate by rate on the same machine. Pool arms: "
        "'default' is what the backend's factory opens, 'sized' a pool sized to the highest rate; the pool column "
        "says what the app's saver held (class and size limits). The fake model call of each turn is an awaited sleep. Saver time is the "
        "server's wall time with a saver call in flight during the request: it includes waiting for the saver's "
        "connection or lock and, on a saturated app, for the event loop to run the call's callbacks.")
PARTIAL = "Partial: the part was interrupted or broke part way; these are the rows measured before."
ROW_COLUMNS = (("backend", "Backend"), ("arm", "Pool"), ("pool_text", "Held"), ("model_ms", "Model ms"), ("rate", "Offered req/s"),
               ("achieved_rps", "Achieved"), ("p50_ms", "p50"), ("p90_ms", "p90"), ("p99_ms", "p99"),
               ("max_ms", "max"), ("errors_text", "Errors / timeouts"), ("dropped", "Dropped"),
               ("saver_text", "In the saver (share)"), ("sustained_text", "Sustained"), ("load_before", "Load"))
RATIO_COLUMNS = (("model_ms", "Model ms"), ("arm", "Pool"), ("rate", "req/s"), ("what", "Pair"),
                 ("p50_text", "p50 ratio [95% CI]"), ("p99_text", "p99 ratio [95% CI]"), ("seconds", "Seconds"))


def section(doc: dict[str, Any]) -> dict[str, Any] | None:
    s = doc.get("service")
    return s if isinstance(s, dict) else None


def layout_line(s: dict[str, Any]) -> str:
    lay = s.get("layout") or {}
    noise = s.get("noise") or {}
    where = (f"Machine layout: {lay.get('note', 'not recorded')} (apps {lay.get('apps')}, servers "
             f"{lay.get('servers')}, k6 {lay.get('k6')}; not pinned).")
    if noise:
        where += (f" Meanwhile other processes kept {noise.get('others_cpu_pct')}% of a CPU busy, load "
                  f"{noise.get('load_before')} -> {noise.get('load_after')} over {noise.get('seconds')} s.")
    return where


def _ratio_text(r: dict[str, Any], key: str) -> str:
    if r.get(key) is None:
        return f"– ({r.get('why', 'not enough data')})"
    low, high = r.get(f"{key}_ci") or (None, None)
    return f"{r[key]:.2f}× [{low:.2f}, {high:.2f}]" if low is not None else f"{r[key]:.2f}×"


def _row_view(r: dict[str, Any]) -> dict[str, Any]:
    errors = {**(r.get("errors") or {}), **{f"app: {k}": v for k, v in (r.get("app_errors") or {}).items()}}
    share = r.get("saver_share")
    mean = (r.get("server") or {}).get("saver_mean_ms")
    seen = r.get("pool_seen") or {}
    held = str(seen.get("holds", "–")).rsplit(".", 1)[-1] + "".join(f" {k}={v}" for k, v in seen.items() if k != "holds")
    return {**r, "pool_text": held, "errors_text": ", ".join(f"{k}: {v}" for k, v in errors.items()) or "0",
            "saver_text": f"{mean} ms ({share * 100:.0f}%)" if isinstance(share, (int, float)) else "–",
            "sustained_text": ("yes" if r.get("sustained") else f"no: {r.get('sustained_why', '')}")}


def figure(s: dict[str, Any]) -> go.Figure | None:
    """p50 and p99 request latency against offered rate, one line pair per backend, pool arm and model latency."""
    data = [r for r in s.get("rows") or [] if r.get("p99_ms") is not None]
    if not data:
        return None
    fig = go.Figure()
    keys = sorted({(r["backend"], r["arm"], r["model_ms"]) for r in data}, key=str)
    for i, (backend, arm, model) in enumerate(keys):
        pts = sorted((r for r in data if (r["backend"], r["arm"], r["model_ms"]) == (backend, arm, model)),
                     key=lambda r: r["rate"])
        colour, name = colour_for(backend, i), f"{backend}, {arm} pool, {model} ms model"
        for stat, dash in (("p99_ms", "solid"), ("p50_ms", "dot")):
            fig.add_trace(go.Scatter(x=[r["rate"] for r in pts], y=[r[stat] for r in pts], mode="lines+markers",
                                     name=f"{name} {stat[:3]}", line=dict(color=colour, dash=dash),
                                     marker=dict(symbol=["circle" if r.get("sustained") else "x" for r in pts],
                                                 size=9)))
    _layout(fig, 460, xaxis_title="offered rate (requests/s)", yaxis_title="request latency (ms, log)")
    fig.update_yaxes(type="log")
    return fig


def html(doc: dict[str, Any], writer) -> str:
    s = section(doc)
    if s is None:
        return ""
    fig = figure(s)
    claims = "".join(f"<li><b>{esc(c['claim'])}</b>: {esc(c['line'])}</li>" for c in s.get("claims") or [])
    head = "".join(f"<li>{esc(h['backend'])}, {esc(h['arm'])} pool, {h['model_ms']} ms model: "
                   f"{esc(_rps(h['highest_sustained_rps']))} (p99 bound {h['p99_bound_ms']:g} ms)"
                   + (f"; first miss {esc(h['first_failure'])}" if h.get("first_failure") else "") + "</li>"
                   for h in s.get("headroom") or [])
    ratios = [{**r, "what": f"{r['incumbent']} ÷ {r['candidate']}", "p50_text": _ratio_text(r, "p50"),
               "p99_text": _ratio_text(r, "p99")} for r in s.get("ratios") or []]
    partial = "" if s.get("complete", True) else f"<p><b>{esc(PARTIAL)}</b></p>"
    return (f'{partial}<p class="note">{esc(NOTE)}</p><p class="note">{esc(layout_line(s))}</p>'
            f"<p>Workload <code>{esc(s.get('workload'))}</code>, {s.get('turns_per_conversation')} turns per "
            f"conversation; {esc(str((s.get('plan') or {}).get('duration_s')))} s per rate and backend.</p>"
            + (writer.div(fig, "service") if fig is not None else "")
            + f"<h3>Claims at the service level</h3><ul>{claims or '<li>none measured</li>'}</ul>"
            + f"<h3>Highest rate sustained</h3><ul>{head}</ul>"
            + "<h3>Incumbent ÷ candidate per rate</h3>" + table(ratios, RATIO_COLUMNS)
            + "<h3>Per backend and rate</h3>"
            + table([_row_view(r) for r in s.get("rows") or []], ROW_COLUMNS,
                    fmt={k: fmt_ms for k in ("p50_ms", "p90_ms", "p99_ms", "max_ms")}))


def _rps(value: Any) -> str:
    return f"{value:g} req/s" if isinstance(value, (int, float)) else "none of the rates tried"


def markdown(doc: dict[str, Any]) -> str:
    s = section(doc)
    if s is None:
        return ""
    lines = ["### Your service under load (k6, open loop)", ""] + ([f"**{PARTIAL}**", ""] if not s.get("complete", True)
                                                                   else []) + [layout_line(s), ""]
    lines += [f"- **{c['claim']}**: {c['line']}" for c in s.get("claims") or []] + [""]
    lines += ["| Backend | Pool | Model ms | Offered req/s | Achieved | p50 ms | p99 ms | Errors | Dropped | Saver share | Sustained |",
              "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|"]
    for r in s.get("rows") or []:
        share = r.get("saver_share")
        lines.append(f"| {r['backend']} | {r['arm']} | {r['model_ms']} | {r['rate']:g} | {r['achieved_rps']:g} | "
                     f"{r['p50_ms']} | {r['p99_ms']} | {r.get('error_count')} | {r['dropped']} | "
                     f"{'–' if share is None else f'{share * 100:.0f}%'} | {'yes' if r.get('sustained') else 'no'} |")
    return "\n".join(lines)
