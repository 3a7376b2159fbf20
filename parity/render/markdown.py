"""The results document as Markdown for a PR comment or $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

from typing import Any

from parity import platforms, roles, versions
from parity.render import merged, not_run, service
from parity.render.calibration import calibration_markdown
from parity.render.shadow_cost import cost_markdown
from parity.render.langgraph_tests import langgraph_tests_markdown
from parity.render.traffic import replay_markdown, shadow_markdown
from parity.render.claims_table import verdict_totals
from parity.render.common import (
    NOT_MEASURED, VERDICT_MARK, claim_ids, claim_title, claimed_band, claims_by_id,
    causes_line, clean_text, fmt_ci, fmt_ratio, group_findings, headline_selection, machine_line, places, seen_text, ratio_sort_key, rows, status_counts,
    status_order,
)

MAX_RATIOS = 32  # a step summary is for the headline; report.html has every row
MAX_FINDINGS = 30
MAX_DIFF_LINES = 60  # GitHub caps a step summary at 1 MiB


def render_markdown(doc: dict[str, Any]) -> str:
    parts = [_header(doc), _claims(doc), _ratios(doc), _provider_cost(doc), _cells(doc), _workloads(doc), shadow_markdown(doc),
             cost_markdown(doc), service.markdown(doc), replay_markdown(doc), langgraph_tests_markdown(doc),
             calibration_markdown(doc), _findings(doc), not_run.markdown(doc)]
    return "\n\n".join(p for p in parts if p).rstrip() + "\n"


def _header(doc: dict[str, Any]) -> str:
    run = doc.get("run") or {}
    commit = str(run.get("git_commit") or "")[:10] or "unknown commit"
    bits = [f"provider `{run.get('provider') or '?'}`", f"profile `{run.get('profile') or '?'}`", f"commit `{commit}`"]
    why = f"  \n{_cell(run['provider_reason'])}" if run.get("provider_reason") else ""
    from parity.incomplete import banner as incomplete
    from parity.measuring.repeatability import banner as noisy

    top = "".join(f"> **⚠️ {_cell(text)}**\n\n" for text in (incomplete(doc), noisy(doc), merged.partial_text(doc)) if text)
    where = _cell(machine_line(doc))
    if merged.is_merged(doc):
        where = (f"{len(doc.get('runs') or [])} runs merged on "
                 + ", ".join(f"**{_cell(b.get('label'))}**" for b in platforms.listed(doc)))
    from parity.render.opening import asked_lines, is_guide_run, short_title

    asked = "" if is_guide_run(doc) else "  \n".join(_cell(line) for line in asked_lines(doc)) + "\n\n"
    return (f"{top}## checkpoint-parity: {_cell(short_title(doc))} · run `{run.get('id', '?')}`\n\n{asked}"
            f"{where}  \n{' · '.join(bits)}{why}")


def _provider_cost(doc: dict[str, Any]) -> str:
    """What the container layer adds to every figure of a Testcontainers run (measured beside embedded servers)."""
    cost = rows(doc, "provider_cost")
    if not cost:
        return ""
    lines = ["### What a container adds (same run, interleaved)", "",
             "| Family | Round trip | Network | Container p50 | Embedded p50 | Container ÷ embedded (95% CI) |",
             "|---|---|---|---|---|---|"]
    for r in cost:
        lines.append(f"| {r['family']} | {_cell(r['what'])} | {r.get('network') or '—'} | "
                     f"{r['container_p50_ms'] * 1000:.0f} µs | {r['embedded_p50_ms'] * 1000:.0f} µs | "
                     f"{fmt_ratio(r['ratio'])} {fmt_ci(r)} |")
    return "\n".join(lines)


def _claims(doc: dict[str, Any]) -> str:
    claims = claims_by_id(doc)
    lines = ["### Claims of the migration guide", "", roles.judged_line(doc), "",
             "| ID | Claim | Verdict | Why |", "|---|---|---|---|"]
    for cid in claim_ids(doc):
        row = claims.get(cid, {})
        verdict = row.get("verdict")
        shown = f"{VERDICT_MARK.get(verdict, '')} {verdict}".strip() if verdict else "— no verdict"
        title = claim_title(row, cid)
        reason = row.get("reason") or "not evaluated in this run"
        lines.append(f"| {cid} | {_cell(title)} | {shown} | {_cell(reason)} |")
    return "\n".join(lines) + f"\n\n{verdict_totals(doc)}"


def _ratios(doc: dict[str, Any]) -> str:
    runs = [r for r in merged.bench_runs(doc) if any(x.get("run") == r.get("id") for x in rows(doc, "ratios"))]
    if len(runs) > 1:  # a merged document from several machines: one table each, never pooled
        return "\n\n".join(f"#### {_cell(merged.machine_title(doc, r))}\n\n" + _machine_ratios(merged.only_run(doc, str(r["id"])))
                             for r in runs)
    return _machine_ratios(doc)


def _machine_ratios(doc: dict[str, Any]) -> str:
    ratios = sorted(rows(doc, "ratios"), key=ratio_sort_key)
    head = "### Headline ratios ({0} ÷ {1}, median and 95% CI; > 1 means {1} is faster)".format(
        *roles.ratio_words(roles.of(doc)))
    if not ratios:
        return f"{head}\n\n_{NOT_MEASURED}_"
    shown, note = headline_ratios(ratios)
    lines = [head, "", note, "", "| Op | Flavour | Payload | Pair | Ratio | 95% CI | Guide claims |",
             "|---|---|---|---|--:|---|---|"]
    for r in shown[:MAX_RATIOS]:
        band = claimed_band(doc, str(r.get("op", "")))
        claim = f"{band[0]:g}–{band[1]:g}×" if band else ""
        flavour = "/".join(str(x) for x in (r.get("flavour"), r.get("loop")) if x)
        pair = f"{r.get('numerator')} ÷ {r.get('denominator')}"
        lines.append(f"| {_cell(r.get('op'))} | {_cell(flavour)} | {_cell(r.get('payload'))} | {_cell(pair)} | "
                     f"**{fmt_ratio(r.get('median'))}** | {fmt_ci(r)} | {claim} |")
    rest = len(ratios) - min(len(shown), MAX_RATIOS)
    if rest:
        lines.append(f"\n_{rest} more ratios in report.html (other pairings, loops and repeats)_")
    return "\n".join(lines)


def headline_ratios(ratios: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    """The ratios a PR comment can hold (see headline_selection)."""
    keep, pairing, _, _ = headline_selection(ratios)
    return keep, f"Server settings pairing: **{pairing}**." if pairing else ""


def _cells(doc: dict[str, Any]) -> str:
    cells = rows(doc, "cells")
    head = "### Compatibility cells"
    if not cells:
        return f"{head}\n\n_{NOT_MEASURED}_"
    counts = status_counts(cells)
    order = status_order(counts)
    if merged.multi_platform(doc):  # one row per platform, side by side with the total
        names = platforms.labels(doc)
        lines = [head, "", "| platform | " + " | ".join(order) + " | total |", "|---|" + "--:|" * (len(order) + 1)]
        for pid, name in names.items():
            mine = [c for c in cells if c.get("platform") == pid]
            per = status_counts(mine)
            lines.append(f"| {_cell(name)} | " + " | ".join(str(per[s]) for s in order) + f" | {len(mine)} |")
        return "\n".join(lines + ["| all | " + " | ".join(str(counts[s]) for s in order) + f" | {len(cells)} |"])
    return "\n".join([head, "", "| " + " | ".join(order) + " | total |", "|" + "--:|" * (len(order) + 1),
                      "| " + " | ".join(str(counts[s]) for s in order) + f" | {len(cells)} |"])


def _workloads(doc: dict[str, Any]) -> str:
    """A team's own graphs (`parity check --workload`): each cell's verdict and its end-to-end time there."""
    cells = rows(doc, "workloads")
    if not cells:
        return ""
    from parity.workloads.runner import END_TO_END

    # the run too: in a merged document a workload's time is the one its own run measured, on its own machine
    key = lambda r: (r.get("name"), r.get("backend"), r.get("flavour"), r.get("loop"), r.get("run"))  # noqa: E731
    total = {key(t): t for t in rows(doc, "workload_timings") if t.get("step") == END_TO_END}
    lines = ["### Workloads", "", "| Workload | Backend | Flavour | Loop | Result | End to end (median, 95% CI) |",
             "|---|---|---|---|---|--:|"]
    for r in cells:
        t = total.get(key(r))
        ms = (f"{t['median_ms']:.3g} ms ({t['ci_low_ms']:.3g}–{t['ci_high_ms']:.3g})"
              if t and t.get("median_ms") is not None else "")
        lines.append(f"| {_cell(r.get('name'))} | {_cell(r.get('backend'))} | {_cell(r.get('flavour'))} | "
                     f"{_cell(r.get('loop') if r.get('flavour') == 'async' else '')} | {_cell(r.get('status'))} | {ms} |")
    return "\n".join(lines)


def _findings(doc: dict[str, Any]) -> str:
    findings = rows(doc, "findings")
    head = f"### Findings ({len(findings)})"
    if not findings:
        return f"{head}\n\n_no divergences found_" if rows(doc, "cells") else f"{head}\n\n_{NOT_MEASURED}_"
    groups = group_findings(findings)
    # Conventions (what every official saver does, no sentence promises) are reported apart, after the rest.
    conventions = [g for g in groups if (g[0].get("contract") or {}).get("kind") == "convention"]
    groups = [g for g in groups if g not in conventions]
    out = [head, "", f"_{causes_line(findings)}: cells failing from the same saver call, or whose most significant "
                     "difference is the same, are one item_", ""]
    for group in groups[:MAX_FINDINGS]:
        out.append(_finding(group))
    if len(groups) > MAX_FINDINGS:
        out.append(f"\n_{len(groups) - MAX_FINDINGS} more differences in report.html_")
    if conventions:
        out += ["", f"#### Conventions not followed ({len(conventions)})", "",
                "_what every official saver does and no sentence of LangGraph promises, checked where a capability "
                "declares it (docs/judging.md)_", ""]
        out += [_finding(group) for group in conventions[:MAX_FINDINGS]]
    return "\n".join(out)


def _finding(group: list[dict[str, Any]]) -> str:
    f = group[0]
    where = " ".join(p for p in (str(f.get("backend")), places(group)) if p)
    known = f.get("known") or None
    tag = ""
    if isinstance(known, dict):
        link = f" ([upstream]({known['upstream']}))" if known.get("upstream") else ""
        tag = f" — _known divergence_{link}: {_cell(known.get('note') or known.get('reason') or '')}"
    partly = f.get("partly_explained") if isinstance(f.get("partly_explained"), dict) else None
    if partly:
        first = clean_text(partly.get("unexplained", "")).splitlines()[:1]
        tag += f" — _partly explained by a known divergence, not:_ {_cell(first[0] if first else '')}"
    on = sorted({p for g in group for p in g.get("platforms") or []})
    if on:
        tag += f" — seen on {_cell(', '.join(on))}"
    seen_with = versions.of_group(group)
    if seen_with:
        tag += f" — versions: {_cell('; '.join(seen_with))}"
    from parity.cell_ids import of_finding

    ids = ", ".join(f"`{_cell(of_finding(g))}`" for g in group)  # the cells, named as everywhere else
    scenarios = ", ".join(f"`{_cell(sc)}`" for sc in dict.fromkeys(str(g.get("scenario")) for g in group))
    line = (f"- **{ids}** {_cell(f.get('claim', ''))} · {_cell(where)} · {scenarios} · "
            f"{seen_text(group)} — {_cell(f.get('summary', ''))}{tag}")
    if f.get("example"):  # a generated finding: its shrunk input and repro script
        repro = f"; repro: [`{f['repro']}`]({f['repro']})" if f.get("repro") else ""
        line += f"\n  shrunk input after {f.get('examples_run') or '?'} examples{repro}: `{_cell(str(f['example'])[:300])}`"
    diff = clean_text(f.get("diff") or "").splitlines()
    if not diff:
        return line
    if len(diff) > MAX_DIFF_LINES:
        diff = diff[:MAX_DIFF_LINES] + [f"… {len(diff) - MAX_DIFF_LINES} more lines in report.html"]
    fence = "`" * max(3, _longest_backtick_run(diff) + 1)
    body = "\n".join("  " + d for d in diff)
    return f"{line}\n  <details><summary>diff</summary>\n\n  {fence}diff\n{body}\n  {fence}\n  </details>"


def _cell(value: Any) -> str:
    """Text safe inside one Markdown table cell or list item."""
    text = " ".join(clean_text(value).split())
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _longest_backtick_run(lines: list[str]) -> int:
    best = 0
    for line in lines:
        run = 0
        for ch in line:
            run = run + 1 if ch == "`" else 0
            best = max(best, run)
    return best
