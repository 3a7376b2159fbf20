"""What a merged document (`parity merge`) adds to the report: its runs, platforms side by side, partial results,
each claim's verdict per platform, and benchmark sections kept per machine."""

from __future__ import annotations

from typing import Any

from parity import sections
from parity.platforms import labels, listed
from parity.results import rows

def is_merged(doc: dict[str, Any]) -> bool:
    return bool((doc.get("run") or {}).get("merged"))


def multi_platform(doc: dict[str, Any]) -> bool:
    return len(listed(doc)) > 1


def short_names(doc: dict[str, Any]) -> dict[str, str]:
    """{platform id: "Linux 3.11"} (with the architecture when the platforms differ in it, and the first library
    version that sets a platform's runs apart: "Linux 3.11 langgraph 1.0.6", parity.merge.by_versions)."""
    blocks = listed(doc)
    archs = {b.get("arch") for b in blocks}
    impls = {b.get("implementation") for b in blocks}
    return {str(b.get("id")): " ".join(str(p) for p in (
        b.get("os"), b.get("implementation") if len(impls) > 1 else None, b.get("python"),
        b.get("arch") if len(archs) > 1 else None,
        next((f"{k} {v}" for k, v in (b.get("versions") or {}).items()), None)) if p) for b in blocks}


def partial_text(doc: dict[str, Any]) -> str | None:
    partial = (doc.get("run") or {}).get("partial")
    if not isinstance(partial, dict) or not partial.get("missing"):
        return None
    return (f"PARTIAL RESULTS: merged with --allow-partial; missing {', '.join(map(str, partial['missing']))}. "
            "Their cells are absent from this report and every verdict was computed without them.")


def bench_runs(doc: dict[str, Any], names: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """The merged runs that measured timings (rows in these sections; default: the bench part's), one per machine,
    in merge order."""
    names = sections.of_part("bench") if names is None else names
    measured = {str(r.get("run")) for s in names for r in rows(doc, s) if r.get("run")}
    return [r for r in doc.get("runs") or [] if isinstance(r, dict) and str(r.get("id")) in measured]


def machine_runs(doc: dict[str, Any], report: str) -> list[dict[str, Any]]:
    """The runs a report.html section is drawn for, once each under its machine's name, in a merged document of
    several machines; [] when it is drawn once, as a single run's. Only the sections whose every rows are kept per
    machine (parity/sections.py), and, among the runs, those that measured what it shows (its timings: a workload's
    statuses come from every compat run)."""
    if report not in sections.per_machine_reports() or len(bench_runs(doc)) < 2:
        return []
    shown = sections.shown_in(report)
    return bench_runs(doc, tuple(s for s in shown if s in sections.figures()) or shown)


def only_run(doc: dict[str, Any], run_id: str) -> dict[str, Any]:
    """The document with only one run's benchmark rows (and its machine and overhead), for a per-machine section."""
    run = next((r for r in doc.get("runs") or [] if r.get("id") == run_id), {})
    per_machine = sections.per_machine()  # rows shown per machine (a workload's statuses with its timings)
    sub = {k: ([r for r in rows(doc, k) if str(r.get("run")) == run_id] if k in per_machine and isinstance(v, list)
               else v) for k, v in doc.items()}
    sub["machine"], sub["overhead"] = run.get("machine") or {}, run.get("overhead") or {}
    return sub


def machine_title(doc: dict[str, Any], run: dict[str, Any]) -> str:
    m = run.get("machine") or {}
    bits = [m.get("cpu_model"), f"{m['cores']} cores" if m.get("cores") else None,
            labels(doc).get(str(run.get("platform")), run.get("platform")), f"run {run.get('id')}"]
    return "Measured on " + " · ".join(str(b) for b in bits if b)


def run_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The runs table of a merged report: one row per run merged."""
    names = labels(doc)
    out = []
    for r in doc.get("runs") or []:
        m, shard = r.get("machine") or {}, r.get("shard") or {}
        out.append({"run": r.get("id"), "platform": names.get(str(r.get("platform")), r.get("platform")),
                    "machine": " · ".join(str(b) for b in (m.get("cpu_model"), f"{m.get('cores')} cores") if b),
                    "shard": f"{shard['index']}/{shard['count']} ({shard.get('balance', 'count')})" if shard else "whole",
                    "parts": ", ".join(r.get("parts") or []) or "none", "provider": r.get("provider")})
    return out
