"""Your traffic in the report: the `shadow` (ShadowSaver recordings) and `replay` sections as HTML and Markdown."""

from __future__ import annotations

from typing import Any

from parity import roles
from parity.render.common import clean_text, fmt_ci, fmt_ms, fmt_ratio
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
    known = shadow.get("divergences_known", 0)
    known_text = f" ({known} of them known upstream divergences)" if known else ""
    where = ", ".join(f"{n} with the candidate on a {'sidecar process' if k == 'process' else 'worker thread'}"
                      for k, n in sorted((shadow.get("isolation") or {}).items()))
    return (f"{shadow.get('recordings', 0)} recording(s){f' ({where})' if where else ''}: "
            f"{reads_compared(shadow)} reads compared, "
            f"{shadow.get('divergences', 0)} divergences{known_text} on "
            f"{len(shadow.get('divergent_threads') or [])} thread(s); "
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
    reasons = "".join(f"<li>{n}: {esc(reason)}</li>" for reason, n in
                      sorted((shadow.get("known_by_reason") or {}).items(), key=lambda kv: -kv[1]))
    known = (f"<p>Explained by a reviewed known divergence of the candidate's backend "
             f"(<code>parity/known_divergences.toml</code>; still counted, listed after the others):</p><ul>{reasons}</ul>"
             if reasons else "")
    return (f"<p>By op: {esc(by_op)}. In each diff, <code>-</code> lines are the primary's answer (the reference), "
            f"<code>+</code> lines the candidate's.</p>{known}{shown}{tail}")


def _divergence_html(d: dict[str, Any]) -> str:
    sides = "".join(f"<div><b>{side}</b> sha256 <code>{esc(str((d.get(side) or {}).get('sha256', ''))[:16])}</code> "
                    f"{esc((d.get(side) or {}).get('chars', '?'))} chars"
                    + (f"<pre>{esc((d.get(side) or {}).get('json'))}</pre>" if (d.get(side) or {}).get("json") else "")
                    + "</div>" for side in ("primary", "candidate"))
    diff = diff_block(d.get("diff")) if d.get("diff") else '<p class="note">values hashed (hash_values=True): no diff kept</p>'
    first = (f' <span class="where">first difference: {esc(d.get("first_difference"))}</span>'
             if d.get("first_difference") else "")
    known = (f' <span class="tag known">known: {esc((d.get("known") or {}).get("reason", ""))}</span>'
             if d.get("known") else "")
    return (f'<article class="finding shadow-divergence"><header><code>{esc(d.get("thread"))}</code> '
            f'<span class="tag">{esc(d.get("op"))}</span>{known}{first}</header>{diff}'
            f"<details><summary>both payloads</summary>{sides}</details></article>")


def shadow_markdown(doc: dict[str, Any]) -> str:
    shadow = doc.get("shadow")
    if not isinstance(shadow, dict):
        return ""
    lines = ["### Your traffic: shadow recording", "", headline(shadow), "",
             "| Op | Primary p50 ≤ ms | Candidate p50 ≤ ms | p50 cand ÷ prim | Mean cand ÷ prim | n (prim/cand) |",
             "|---|--:|--:|--:|--:|--:|"]
    for r in latency_rows(shadow):
        lines.append(f"| {r['op']} | {fmt_ms(r['primary_p50_ms'])} | {fmt_ms(r['candidate_p50_ms'])} | "
                     f"{fmt_ratio(r['p50_ratio'])} | {fmt_ratio(r['mean_ratio'])} | {r['primary_n']}/{r['candidate_n']} |")
    for d in (shadow.get("examples") or [])[:5]:
        first = " ".join(clean_text(d.get("first_difference") or "values hashed").split())[:200]
        known = " (known upstream divergence)" if d.get("known") else ""
        lines.append(f"- divergence on thread `{clean_text(d.get('thread'))}`, {d.get('op')}{known}: "
                     f"{first.replace('|', '/')}")
    return "\n".join(lines)


# ---- replay ------------------------------------------------------------------------------------------------------

REPLAY_EXAMPLES_SHOWN = 10  # per target
REPLAY_COLUMNS = [("backend", "target"), ("threads", "threads"), ("verified", "verified"),
                  ("diverged", "diverged"), ("errored", "errors"), ("divergence_count", "divergences"),
                  ("by_op", "by op"), ("not_compared", "not compared")]


def replay_headline(replay: dict[str, Any]) -> str:
    src, th = replay.get("source") or {}, replay.get("threads") or {}
    version = f", schema version {src['schema_version']}" if src.get("schema_version") is not None else ""
    since = f" with a checkpoint since {th['since']}" if th.get("since") else ""
    sample = f" (random sample, seed {th['sample_seed']})" if th.get("sample_seed") is not None else ""
    return (f"{th.get('selected', 0)} of {th.get('available', '?')} threads{since}{sample} read from "
            f"{src.get('kind')} {src.get('url')}{version}, read-only; written and read back through each target's "
            f"{replay.get('flavour', 'sync')} saver API")


def replay_target_rows(replay: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"backend": t.get("backend"), "threads": t.get("threads"), "verified": t.get("verified"),
             "diverged": len(t.get("diverged_threads") or []), "errored": len(t.get("errored_threads") or []),
             "divergence_count": t.get("divergence_count", len(t.get("divergences") or [])),
             "by_op": ", ".join(f"{k}: {v}" for k, v in sorted((t.get("divergences_by_op") or {}).items())) or "–",
             "not_compared": "; ".join(f"{k}: {v}" for k, v in (t.get("not_compared") or {}).items()) or "–"}
            for t in replay.get("targets") or []]


def replay_html(doc: dict[str, Any]) -> str:
    replay = doc.get("replay") or {}
    notes = "".join(f"<li>{esc(n)}</li>" for n in (replay.get("source") or {}).get("notes") or [])
    out = (f'<p class="note">Each thread was written through each target saver in its original order (checkpoints, '
           f"then their pending writes), then read back on both sides (latest, every checkpoint by id with its "
           f"pending writes, the history) and compared by the suite's judge. {esc(replay.get('note', ''))}</p>"
           f"<p><b>{esc(replay_headline(replay))}</b></p>" + (f'<ul class="note">{notes}</ul>' if notes else "")
           + "<p>" + " · ".join(f"{esc(r['backend'])}: {r['verified']}/{r['threads']} threads verified"
                                for r in replay_target_rows(replay)) + "</p>"
           + table(replay_target_rows(replay), REPLAY_COLUMNS)
           + '<p class="note">In each diff, <code>-</code> lines are the source, <code>+</code> lines the target. '
             "Ratios: target ÷ source median latency of the same reads (&gt; 1: the target is slower).</p>")
    control = next((t for t in replay.get("targets") or [] if t.get("backend") == roles.REFERENCE), None)
    if control and control.get("divergence_count"):
        out += ('<p class="partial">The control diverged: the in-memory reference, written from what the source '
                "listed, does not read back what the source itself answers. The source's own reads disagree "
                "(e.g. its get_tuple and its list), so every target's divergences of the same op may be the "
                "source's, not the target's.</p>")
    for t in replay.get("targets") or []:
        out += f"<h3>{esc(t.get('backend'))}</h3>" + _replay_timings_html(t) + _replay_findings_html(t)
    return out


def _replay_timings_html(t: dict[str, Any]) -> str:
    ratios = [dict(r, ci=fmt_ci(r)) for r in t.get("ratios") or []]
    cols = [("op", "op"), ("n", "n"), ("median", "target ÷ source (median)"), ("ci", "95% CI")]
    tcols = [("op", "op"), ("backend", "side"), ("n", "n"), ("p50_ms", "p50 ms"), ("p99_ms", "p99 ms"),
             ("mean_ms", "mean ms")]
    return (table(ratios, cols, fmt={"median": fmt_ratio}) if ratios else "") + (
        f"<details><summary>Latency per op, both sides</summary>"
        f"{table(t.get('timings') or [], tcols, fmt={k: fmt_ms for k in ('p50_ms', 'p99_ms', 'mean_ms')})}</details>")


def _replay_findings_html(t: dict[str, Any]) -> str:
    items = "".join(
        f'<article class="finding shadow-divergence"><header><code>{esc(d.get("thread"))}</code> '
        f'<span class="tag">{esc(d.get("op"))}</span> <span class="where">{esc(d.get("where") or "")} '
        f'first difference: {esc(d.get("first_difference"))}</span></header>{diff_block(d.get("diff"))}</article>'
        for d in (t.get("divergences") or [])[:REPLAY_EXAMPLES_SHOWN])
    rest = t.get("divergence_count", 0) - min(len(t.get("divergences") or []), REPLAY_EXAMPLES_SHOWN)
    errors = "".join(f"<li><code>{esc(e.get('thread'))}</code>: {esc(e.get('error'))}</li>" for e in t.get("errors") or [])
    return (items + (f'<p class="note">{rest} more divergences in results.json</p>' if rest > 0 else "")
            + (f"<p>Errors (not counted as divergences or as verified):</p><ul>{errors}</ul>" if errors else ""))


def replay_markdown(doc: dict[str, Any]) -> str:
    replay = doc.get("replay")
    if not isinstance(replay, dict):
        return ""
    lines = ["### Your traffic: replay of recorded threads", "", replay_headline(replay), "",
             "| Target | Verified | Diverged | Errors | Divergences by op | get_tuple by id: target ÷ source |",
             "|---|--:|--:|--:|---|---|"]
    for r, t in zip(replay_target_rows(replay), replay.get("targets") or []):
        by_id = next((x for x in t.get("ratios") or [] if x.get("op") == "get_tuple_by_id"), None)
        ratio = f"{fmt_ratio(by_id['median'])} {fmt_ci(by_id)}" if by_id else "–"
        lines.append(f"| {r['backend']} | {r['verified']}/{r['threads']} | {r['diverged']} | {r['errored']} | "
                     f"{r['by_op']} | {ratio} |")
    return "\n".join(lines)
