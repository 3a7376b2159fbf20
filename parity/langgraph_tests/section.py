"""The `langgraph_tests` section of results.json, and how shards of it merge."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from parity.errors import ParityUsageError
from parity.langgraph_tests import causes

EXPECTED_PATH = Path(__file__).parent / "expected.toml"
NOTE = ("LangGraph's own tests from the sdist of the installed langgraph, with its sync_checkpointer / "
        "async_checkpointer fixtures given InMemorySaver (LangGraph's immutability-asserting one) and each chosen "
        "saver. A test failing on memory too is a skew of the tests or their environment, not the saver's; a test "
        "failing only on a saver is a finding, grouped by cause.")


def load_expected(path: Path = EXPECTED_PATH) -> list[dict[str, Any]]:
    """The reviewed causes of the built-in savers (id, backends, match, explanation, upstream_check)."""
    data = tomllib.loads(path.read_text())
    return [dict(c) for c in data.get("cause", [])]


def flaky_tests(path: Path = EXPECTED_PATH) -> dict[str, str]:
    """LangGraph's own racy tests: test id -> the evidence (seen failing on InMemorySaver in some run)."""
    data = tomllib.loads(path.read_text())
    return {f["test"]: f["evidence"] for f in data.get("flaky", [])}


def expected_for(builtin: set[str]) -> list[dict[str, Any]]:
    """Reviewed causes apply to the built-in savers only, never to a third-party saver that shares a name pattern."""
    return [{**c, "backends": [b for b in c["backends"] if b in builtin]} for c in load_expected()]


def build(*, version: str, mode: str, files: list[str], repeat: int, shard: dict[str, int] | None,
          rows: list[dict[str, Any]], backends: list[dict[str, Any]], not_run: list[dict[str, Any]],
          seconds: float, builtin: set[str]) -> dict[str, Any]:
    kept = [r for r in rows if r["failed"] or r["skipped"]]  # passing rows are counted, not listed
    return {"langgraph_version": version, "mode": mode, "files": files, "repeat": repeat,
            "shards": [shard] if shard else [], "seconds": round(seconds, 1), "savers": backends,
            "not_run": not_run, "counts": _pass_counts(rows), "rows": kept, "builtin": sorted(builtin),
            **causes.derive(rows, expected_for(builtin), flaky_tests()), "note": NOTE}


def _pass_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Passing (test, saver) rows per saver: merged shards add them up."""
    out: dict[str, int] = {}
    for r in rows:
        if not r["failed"] and not r["skipped"]:
            out[r["backend"]] = out.get(r["backend"], 0) + 1
    return out


def rederive(section: dict[str, Any]) -> dict[str, Any]:
    """Counts and findings again from the kept rows plus the passing counts (after a merge): a passing row is only
    counted, so each stands in as an anonymous passing test of its saver."""
    stubs = [{"test": f"<passed {i}>", "backend": b, "runs": 1, "failed": 0, "skipped": 0}
             for b, n in (section.get("counts") or {}).items() for i in range(n)]
    builtin = set(section.get("builtin") or [])
    return {**section, **causes.derive(list(section.get("rows") or []) + stubs, expected_for(builtin), flaky_tests())}


def merge_sections(sections: list[dict[str, Any]]) -> dict[str, Any]:
    """Shards (or runs on other savers) of the same langgraph version and mode as one section."""
    versions = {(s.get("langgraph_version"), s.get("mode")) for s in sections}
    if len(versions) > 1:
        raise ParityUsageError(f"langgraph_tests sections of different langgraph versions or modes are not merged: "
                               f"{sorted(map(str, versions))}", "merge runs of one langgraph version and one mode")
    first = sections[0]
    counts: dict[str, int] = {}
    for s in sections:
        for b, n in (s.get("counts") or {}).items():
            counts[b] = counts.get(b, 0) + n
    merged = {**first, "files": sorted({f for s in sections for f in s.get("files") or []}),
              "shards": [sh for s in sections for sh in s.get("shards") or []],
              "seconds": round(sum(float(s.get("seconds") or 0) for s in sections), 1),
              "savers": list({b["backend"]: b for s in sections for b in s.get("savers") or []}.values()),
              "not_run": [n for s in sections for n in s.get("not_run") or []],
              "rows": [r for s in sections for r in s.get("rows") or []], "counts": counts,
              "builtin": sorted({b for s in sections for b in s.get("builtin") or []})}
    merged["missing_shards"] = missing_shards(merged["shards"])
    return rederive(merged)


def missing_shards(shards: list[dict[str, int]]) -> list[str]:
    if not shards:
        return []
    count = int(shards[0]["count"])
    have = {int(s["index"]) for s in shards}
    return [f"{k}/{count}" for k in range(1, count + 1) if k not in have]
