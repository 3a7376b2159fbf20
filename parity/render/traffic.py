"""Your traffic in the report: the `shadow` section (ShadowSaver sessions) as HTML and Markdown rows."""

from __future__ import annotations

from typing import Any

from parity.render.common import clean_text, fmt_ms, fmt_ratio
from parity.render.tables import diff_block, esc, table
from parity.shadow.summary import dropped, mean_ratios, reads_compared

SHADOW_EXAMPLES_SHOWN = 20  # the page stays readable; results.json keeps up to 50, the JSON lines keep all
SHADOW_NOTE = ("A ShadowSaver served the app from the primary, mirrored every write to the candidate and repeated "
               "a sample of reads there, compared by the suite's judge. Latency quantiles are log2-bucket upper "
               "edges (at most 2× over), so a p50 ratio moves in powers of 2; the mean ratio is exact but feels "
               "outliers. The candidate is timed on the shadow's worker thread, the primary on the app's.")


def latency_rows(shadow: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per op: both sides' count, p50/p99 (bucket upper edges) and mean in ms, and the two ratios."""
    lat = shadow.get("latency") or {}
    ops = sorted({key.partition(".")[2] for key in lat})
    p50_ratio, mean_ratio = shadow.get("latency_p50_ratio") or {}, mean_ratios(shadow)
    out = []
    for op in ops:
        row: dict[str, Any] = {"op": op, "p50_ratio": p50_ratio.get(op), "mean_ratio": mean_ratio.get(op)}
        for side in ("primary", "candidate"):
            h = lat.get(f"{side}.{op}") or {}
            row[f"{side}_n"] = h.get("count", 0)
            for q in ("p50", "p99"):
                v = h.get(f"{q}_s_upper")
                row[f"{side}_{q}_ms"] = v * 1000 if isinstance(v, (int, float)) else None
            row[f"{side}_mean_ms"] = h["mean_s"] * 1000 if isinstance(h.get("mean_s"), (int, float)) else None
        out.append(row)
    return out


def headline(shadow: dict[str, Any]) -> str:
    c = shadow.get("counts") or {}
    skipped = c.get("reads_skipped_unreliable", 0)
    return (f"{shadow.get('sessions', 0)} session(s): {reads_compared(shadow)} reads compared, "
            f"{shadow.get('divergences', 0)} divergences on {len(shadow.get('divergent_threads') or [])} thread(s); "
            f"{c.get('mirrored_applied', 0)} writes mirrored, {dropped(shadow)} dropped, "
            f"{shadow.get('unreliable_threads', 0)} thread(s) unreliable ({skipped} sampled reads not compared "
            f"because their thread missed a mirrored write)")


LATENCY_COLUMNS = [("op", "op"), ("primary_n", "primary n"), ("primary_p50_ms", "primary p50 ≤ ms"),
                   ("primary_p99_ms", "primary p99 ≤ ms"), ("primary_mean_ms", "primary mean ms"),
                   ("candidate_n", "candidate n"), ("candidate_p50_ms", "candidate p50 ≤ ms"),
                   ("candidate_p99_ms", "candidate p99 ≤ ms"), ("candidate_mean_ms", "candidate mean ms"),
                   ("p50_ratio", "p50 candidate ÷ primary"), ("mean_ratio", "mean candidate ÷ primary")]
LATENCY_FMT = {**{f: fmt_ms for f, _ in LATENCY_COLUMNS if f.endswith("_ms")},
               "p50_ratio": fmt_ratio, "mean_ratio": fmt_ratio}


def shadow_html(doc: dict[str, Any]) -> str:
    shadow = doc.get("shadow") or {}
    counts = [{"count": k, "n": v} for k, v in sorted((shadow.get("counts") or {}).items())]
    unreliable = shadow.get("unreliable_thread_ids") or []
    more = shadow.get("unreliable_threads", 0) - len(unreliable)
    threads = (f'<p>Unreliable threads (a mirrored write was dropped; their reads are not compared): '
               f'{", ".join(f"<code>{esc(t)}</code>" for t in unreliable)}{f" and {more} more" if more > 0 else ""}</p>'
               if unreliable else "")
    return (f'<p class="note">{esc(SHADOW_NOTE)}</p><p class="shadow-headline"><b>{esc(headline(shadow))}</b></p>'
            f"<h3>Latency per operation, primary vs candidate</h3>"
            + table(latency_rows(shadow), LATENCY_COLUMNS, fmt=LATENCY_FMT)
            + f"<h3>Divergences ({shadow.get('divergences', 0)})</h3>" + _divergences_html(shadow) + threads
            + f"<details><summary>All counters</summary>{table(counts, [('count', 'counter'), ('n', 'n')])}</details>")


def _divergences_html(shadow: dict[str, Any]) -> str:
    examples = shadow.get("examples") or []
    if not examples:
        return f'<p class="empty">{esc("no divergence in the reads compared")}</p>'
    by_op = ", ".join(f"{op}: {n}" for op, n in sorted((shadow.get("divergences_by_op") or {}).items()))
    shown = "".join(_divergence_html(d) for d in examples[:SHADOW_EXAMPLES_SHOWN])
    rest = shadow.get("divergences", len(examples)) - min(len(examples), SHADOW_EXAMPLES_SHOWN)
    tail = f'<p class="note">{rest} more in results.json / the shadow JSON lines</p>' if rest > 0 else ""
    return (f"<p>By op: {esc(by_op)}. In each diff, <code>-</code> lines are the primary's answer (the reference), "
            f"<code>+</code> lines the candidate's.</p>{shown}{tail}")


def _divergence_html(d: dict[str, Any]) -> str:
    sides = "".join(f"<div><b>{side}</b> sha256 <code>{esc(str((d.get(side) or {}).get('sha256', ''))[:16])}</code> "
                    f"{esc((d.get(side) or {}).get('chars', '?'))} chars"
                    + (f"<pre>{esc((d.get(side) or {}).get('json'))}</pre>" if (d.get(side) or {}).get("json") else "")
                    + "</div>" for side in ("primary", "candidate"))
    diff = diff_block(d.get("diff")) if d.get("diff") else '<p class="note">values hashed (hash_values=True): no diff kept</p>'
    first = (f' <span class="where">first difference: {esc(d.get("first_difference"))}</span>'
             if d.get("first_difference") else "")
    return (f'<article class="finding shadow-divergence"><header><code>{esc(d.get("thread"))}</code> '
            f'<span class="tag">{esc(d.get("op"))}</span>{first}</header>{diff}'
            f"<details><summary>both payloads</summary>{sides}</details></article>")


def shadow_markdown(doc: dict[str, Any]) -> str:
    shadow = doc.get("shadow")
    if not isinstance(shadow, dict):
        return ""
    lines = ["### Your traffic: shadow session", "", headline(shadow), "",
             "| Op | Primary p50 ≤ ms | Candidate p50 ≤ ms | p50 cand ÷ prim | Mean cand ÷ prim | n (prim/cand) |",
             "|---|--:|--:|--:|--:|--:|"]
    for r in latency_rows(shadow):
        lines.append(f"| {r['op']} | {fmt_ms(r['primary_p50_ms'])} | {fmt_ms(r['candidate_p50_ms'])} | "
                     f"{fmt_ratio(r['p50_ratio'])} | {fmt_ratio(r['mean_ratio'])} | {r['primary_n']}/{r['candidate_n']} |")
    for d in (shadow.get("examples") or [])[:5]:
        first = " ".join(clean_text(d.get("first_difference") or "values hashed").split())[:200]
        lines.append(f"- divergence on thread `{clean_text(d.get('thread'))}`, {d.get('op')}: {first.replace('|', '/')}")
    return "\n".join(lines)
