"""What the shadow costs the app in the report: the `shadow_cost` and `shadow_faults` rows as HTML and Markdown."""

from __future__ import annotations

from collections import Counter
from typing import Any

from parity.render.common import clean_text, fmt_ci, fmt_ms, rows
from parity.render.tables import esc, table

TARGET_NOTE = ("Issue 19's targets: the shadow adds < 5% to the app's p50 at 1% read sampling and < 15% at 100%. "
               "A verdict is read from the whole 95% CI of shadow ÷ bare: met when all of it is below the target, not "
               "met when all of it is above, undecided otherwise. The mirror-only arm (0%) has no target; it tells "
               "the cost of mirroring writes from that of comparing reads. The 'sidecar' arms run the candidate in "
               "ShadowSaver's sidecar process (isolation=\"process\", lowest CPU priority) instead of a worker thread "
               "in the app's process. On a machine where the candidate server shares a CPU with the primary server, "
               "its work is part of the figure; the 'in-memory candidate' arms (no target) mirror to an InMemorySaver "
               "instead and show what the shadow itself adds without a candidate server. Bare and shadow arms ran "
               "interleaved, "
               "round by round, in the same run; the load average (what `uptime` shows) is beside each figure.")
FAULTS_NOTE = ("App traffic ran through the shadow while the candidate server was stalled (SIGSTOP), resumed "
               "(SIGCONT), killed (SIGKILL) and restarted; bare and shadowed turns alternated within each phase. "
               "Asserted: zero errors on the app's path, drops counted, threads marked unreliable. Reported: the "
               "app's p99 through the shadow ÷ bare per phase, against the p50 target of its sampling.")


def _ratio(value: Any) -> str:
    return f"{value:.3f}×" if isinstance(value, (int, float)) else "–"


def cost_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for r in rows(doc, "shadow_cost"):
        load = r.get("load_before") or {}
        out.append({**r, "p50": f"{_ratio(r.get('p50_ratio'))} {fmt_ci(r, 'p50_ci_low', 'p50_ci_high', _ratio)}",
                    "p99": f"{_ratio(r.get('p99_ratio'))} {fmt_ci(r, 'p99_ci_low', 'p99_ci_high', _ratio)}",
                    "target": (f"< +{r['p50_target_added']:.0%}" if isinstance(r.get("p50_target_added"), (int, float))
                               else "none"),
                    "load": load.get("1m"), "drops": sum(v for k, v in (r.get("shadow_counts") or {}).items()
                                                         if k.startswith("dropped"))})
    return out


def verdict_line(doc: dict[str, Any]) -> str:
    counts = Counter((r.get("arm"), r.get("p50_verdict", "").split(":")[0]) for r in rows(doc, "shadow_cost")
                     if r.get("p50_target_added") is not None)
    arms = sorted({arm for arm, _ in counts})
    return "; ".join(f"{arm}: " + ", ".join(f"{v} {n}" for (a, v), n in sorted(counts.items()) if a == arm)
                     for arm in arms)


COST_COLUMNS = [("flavour", "flavour"), ("concurrency", "callers"), ("arm", "arm"), ("op", "op"),
                ("bare_p50_ms", "bare p50 ms"), ("shadow_p50_ms", "shadow p50 ms"), ("p50", "p50 shadow ÷ bare [95% CI]"),
                ("target", "target"), ("p50_verdict", "verdict"), ("bare_p99_ms", "bare p99 ms"),
                ("shadow_p99_ms", "shadow p99 ms"), ("p99", "p99 shadow ÷ bare [95% CI]"), ("drops", "drops so far"),
                ("drain_s", "backlog drain s"),
                ("load", "load 1m")]


def fault_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for r in rows(doc, "shadow_faults"):
        if r.get("phase") == "verdict":
            continue
        row = {**r, "errors": f"{(r.get('app_errors') or {}).get('shadow', 0)} / {(r.get('app_errors') or {}).get('bare', 0)}",
               "drops": sum(v for k, v in (r.get("counts_delta") or {}).items() if k.startswith("dropped"))}
        for op, o in (r.get("ops") or {}).items():
            row[f"{op}_p99"] = (f"{_ratio(o.get('p99_ratio'))} {fmt_ci(o, 'p99_ci_low', 'p99_ci_high', _ratio)} "
                                f"{o.get('p99_verdict', '')}" if "p99_ratio" in o else "–")
        out.append(row)
    return out


FAULT_COLUMNS = [("flavour", "flavour"), ("isolation", "candidate on"), ("phase", "phase"), ("fault", "what was done"),
                 ("errors", "app errors shadow / bare"), ("drops", "drops in phase"),
                 ("unreliable_threads", "unreliable threads"), ("queue_depth_at_end", "queue at end"),
                 ("put_p99", "put p99 shadow ÷ bare [95% CI], vs target"),
                 ("get_tuple_p99", "get_tuple p99 shadow ÷ bare [95% CI], vs target"),
                 ("step_p99", "step p99 shadow ÷ bare [95% CI], vs target")]


def _layout(doc: dict[str, Any]) -> str:
    first = next(iter(rows(doc, "shadow_cost")), {})
    lay = dict(first.get("layout") or {})
    cpus = lay.pop("cpus", None)
    if isinstance(cpus, dict):
        lay["CPUs"] = cpus.get("layout", "?") + (f" ({cpus['why']})" if cpus.get("why") else "")
    return "; ".join(f"{k}: {v}" for k, v in lay.items())


def machine_lines(doc: dict[str, Any]) -> list[str]:
    """Per flavour, what the rest of the machine did while the cost was measured (parity.measuring.noise)."""
    seen: dict[str, dict[str, Any]] = {}
    for r in rows(doc, "shadow_cost"):
        if isinstance(r.get("noise"), dict):
            seen.setdefault(str(r.get("flavour")), r["noise"])
    return [f"{flavour}: {n.get('seconds')} s, other processes kept {n.get('others_cpu_pct')}% of a CPU busy, "
            f"steal {n.get('steal_pct')}%, load {n.get('load_before')} -> {n.get('load_after')}"
            for flavour, n in seen.items()]


def cost_html(doc: dict[str, Any]) -> str:
    html = ""
    if rows(doc, "shadow_cost"):
        html += (f'<p class="note">{esc(TARGET_NOTE)}</p><p><b>{esc(verdict_line(doc))}</b></p>'
                 f'<p class="note">{esc(_layout(doc))}</p>'
                 + "".join(f'<p class="note">Machine meanwhile, {esc(line)}</p>' for line in machine_lines(doc))
                 + table(cost_rows(doc), COST_COLUMNS, fmt={"bare_p50_ms": fmt_ms, "shadow_p50_ms": fmt_ms,
                                                            "bare_p99_ms": fmt_ms, "shadow_p99_ms": fmt_ms}))
    if rows(doc, "shadow_faults"):
        verdicts = [r for r in rows(doc, "shadow_faults") if r.get("phase") == "verdict"]
        html += (f'<h3>The candidate stalled and killed under traffic</h3><p class="note">{esc(FAULTS_NOTE)}</p>'
                 + table(fault_rows(doc), FAULT_COLUMNS)
                 + "".join(f"<p>{esc(_fault_verdict(v))}</p>" for v in verdicts))
    return html


def _fault_verdict(v: dict[str, Any]) -> str:
    return (f"{v.get('flavour')}, candidate on {v.get('isolation') or 'thread'}: {v.get('app_errors_shadowed')} "
            f"app errors through the shadow, "
            f"{v.get('app_errors_bare')} on the bare primary, {v.get('dropped')} mirrored writes dropped and counted, "
            f"{v.get('unreliable_threads')} threads marked unreliable, {v.get('divergences')} divergences"
            + (f"; other processes kept {v['noise'].get('others_cpu_pct')}% of a CPU busy meanwhile"
               if isinstance(v.get("noise"), dict) else ""))


def cost_markdown(doc: dict[str, Any]) -> str:
    if not rows(doc, "shadow_cost") and not rows(doc, "shadow_faults"):
        return ""
    lines = ["### What the shadow costs the app (shadow ÷ bare, same run)", ""]
    if rows(doc, "shadow_cost"):
        lines += [TARGET_NOTE, "", f"**{verdict_line(doc)}**", ""]
        lines += [f"Machine meanwhile, {line}." for line in machine_lines(doc)] + [""]
        lines += ["| Flavour | Callers | Arm | Op | p50 shadow ÷ bare [95% CI] | Target | Verdict | p99 shadow ÷ bare | Load |",
                  "|---|--:|---|---|---|---|---|---|--:|"]
        for r in cost_rows(doc):
            lines.append(f"| {r.get('flavour')} | {r.get('concurrency')} | {r.get('arm')} | {r.get('op')} | {r['p50']} | "
                         f"{r['target']} | {clean_text(r.get('p50_verdict'))} | {r['p99']} | {r['load']} |")
    for v in (r for r in rows(doc, "shadow_faults") if r.get("phase") == "verdict"):
        lines += ["", f"Candidate faults under traffic, {_fault_verdict(v)}."]
    return "\n".join(lines)
