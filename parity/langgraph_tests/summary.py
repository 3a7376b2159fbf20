"""The `langgraph_tests` section in words: the terminal's closing lines and the report's rows (one reader of both)."""

from __future__ import annotations

from typing import Any


def headline(section: dict[str, Any]) -> str:
    given = ", ".join(f"{s['index']}/{s['count']}" for s in section.get("shards") or [])
    shards = f", shard {given}" if given else ""
    return (f"LangGraph {section.get('langgraph_version')}'s own tests ({section.get('mode')}: "
            f"{len(section.get('files') or [])} files, {section.get('repeat', 1)} run(s){shards}, "
            f"{section.get('seconds', 0):.0f} s)")


def backend_rows(section: dict[str, Any]) -> list[dict[str, Any]]:
    """Per saver: tests, passed, failed only there (findings), failing on memory too (skew), skipped; the causes."""
    findings = section.get("findings") or []
    out = []
    for b in section.get("backends") or []:
        mine = [f for f in findings if f.get("backend") == b.get("backend")]
        out.append({**b, "causes": len(mine), "new_causes": sum(1 for f in mine if not f.get("expected")),
                    "unattributed": sum(int(f.get("test_count") or 0) for f in mine
                                        if f.get("expected") and f.get("attributed") is False)})
    return out


def finding_rows(section: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for f in section.get("findings") or []:
        ex = f.get("example") or {}
        rows.append({"backend": f.get("backend"), "cause": f.get("cause"), "tests": f.get("test_count"),
                     "failed": f"{f.get('failures')}/{f.get('runs')}" + (" (intermittent)" if f.get("intermittent")
                                                                         else ""),
                     "expected": f.get("expected") or "NEW", "attributed": f.get("attributed", True),
                     "explanation": f.get("explanation") or "", "evidence": f.get("evidence") or "",
                     "check": f.get("upstream_check") or "", "where": ex.get("where") or "",
                     "statement": ex.get("statement") or "", "saver_call": ex.get("saver_call") or "",
                     "test_ids": f.get("tests") or []})
    return rows


def lines(section: dict[str, Any]) -> list[str]:
    out = [headline(section)]
    for b in backend_rows(section):
        out.append(f"  {b['backend']}: {b['tests']} tests, {b['passed']} passed, {b['failed']} failed only here "
                   f"({b['causes']} causes, {b['new_causes']} not in the reviewed table), {b['skew']} fail on memory "
                   f"too (skew), {b['skipped']} skipped")
    for f in finding_rows(section):
        out.append(f"  [{f['backend']}] {f['expected']}: {f['cause'][:150]} — {f['tests']} tests, failed {f['failed']}")
    for n in section.get("not_run") or []:
        out.append(f"  not run: {n['backend']}: {n['reason']}")
    if section.get("skew"):
        out.append(f"  version skew: {len(section['skew'])} tests fail on InMemorySaver too (not counted against any "
                   "saver; see the report)")
    if section.get("missing_shards"):
        out.append(f"  incomplete: shards {', '.join(section['missing_shards'])} missing")
    return out
