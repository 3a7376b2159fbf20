"""The differential: each test's outcome on every saver beside InMemorySaver's, failures grouped by cause.

A test that fails on memory too is a version skew of the tests (or of their environment), reported apart; a test
that fails only on a saver is a finding, grouped by cause: the exception, the saver call in its traceback (when the
failure came through the saver's own code) and the message's first line with ids and numbers masked.
"""

from __future__ import annotations

import re
from typing import Any

from parity.roles import REFERENCE as MEMORY
from parity.langgraph_tests.savers import split_id

EXAMPLE_TESTS = 200  # test ids kept per cause; the count is always whole
_MASKS = (
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I), "<uuid>"),
    (re.compile(r"0x[0-9a-f]+", re.I), "<addr>"),
    (re.compile(r"\b\d+(\.\d+)?\b"), "<n>"),
)


def tally(lines: list[dict[str, Any]], names: list[str]) -> list[dict[str, Any]]:
    """One row per (test, saver): how many runs, how many failed or errored, skipped, the first failure."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for line in lines:
        split = (line["test"], line["saver"]) if line.get("test") and line.get("saver") in names \
            else split_id(str(line.get("nodeid", "")), names)
        if split is None:
            continue
        test, backend = split
        row = rows.setdefault((test, backend), {"test": test, "backend": backend, "file": line.get("file"),
                                                "runs": 0, "failed": 0, "skipped": 0})
        row["runs"] += 1
        outcome = line.get("outcome")
        if outcome in ("failed", "error"):
            row["failed"] += 1
            row.setdefault("failure", line.get("failure") or {"type": outcome, "message": "no report"})
        elif outcome == "skipped":
            row["skipped"] += 1
            row.setdefault("reason", line.get("reason", ""))
    return list(rows.values())


def signature(failure: dict[str, Any]) -> str:
    """An assertion groups by the test's assert statement (its message shows values, which differ per test); any
    other error by its message's first line, without the exception name it repeats."""
    kind = failure.get("type", "?")
    message = (failure.get("message") or "").splitlines()[0] if failure.get("message") else ""
    head = failure.get("statement") if kind == "AssertionError" and failure.get("statement") else message
    head = head.removeprefix(f"{kind}: ").splitlines()[0] if head else ""
    for pattern, mask in _MASKS:
        head = pattern.sub(mask, head)
    via = f" in {failure['saver_call']}" if failure.get("saver_call") else ""
    return f"{kind}{via}: {head[:200]}"


def derive(rows: list[dict[str, Any]], expected: list[dict[str, Any]],
           flaky: dict[str, str] | None = None) -> dict[str, Any]:
    """Counts per backend, the findings grouped by cause, and the version skew (failing on memory too).

    A failing test a reviewed cause claims (expected.toml: its backend, its test pattern, its message pattern) is
    grouped under that cause whatever its assert line; any other groups by its own signature, as not reviewed.
    flaky: tests seen failing on InMemorySaver in some earlier run (LangGraph's own races, expected.toml [[flaky]]):
    when one fails on a saver only, it is skew too, with that evidence, not the saver's finding."""
    flaky = flaky or {}
    memory_failed = {r["test"] for r in rows if r["backend"] == MEMORY and r["failed"]}
    memory_failed |= {r["test"] for r in rows if r["failed"] and r["test"] in flaky}
    backends = sorted({r["backend"] for r in rows} - {MEMORY})
    causes: dict[tuple[str, str], dict[str, Any]] = {}
    skew: dict[str, dict[str, Any]] = {}
    for r in rows:
        if not r["failed"]:
            continue
        if r["test"] in memory_failed:
            s = skew.setdefault(r["test"], {"test": r["test"], "backends": [], "failure": r["failure"],
                                            **({"flaky": flaky[r["test"]]} if r["test"] in flaky else {})})
            s["backends"].append(r["backend"])
            if r["backend"] == MEMORY:
                s["failure"] = r["failure"]
            continue
        sig = signature(r["failure"])
        known = reviewed(r["backend"], r["test"], sig, expected)
        key = (r["backend"], known["id"] if known else sig)
        c = causes.setdefault(key, {"backend": r["backend"], "cause": known["title"] if known else sig, "tests": [],
                                    "test_count": 0, "failures": 0, "runs": 0, "example": r["failure"],
                                    **_expected_fields(known)})
        c["test_count"] += 1
        c["failures"] += r["failed"]
        c["runs"] += r["runs"]
        if len(c["tests"]) < EXAMPLE_TESTS:
            c["tests"].append(r["test"])
    # per backend: failures outside the table first, then the reviewed causes, then the listed-but-unattributed
    findings = sorted(causes.values(), key=lambda c: (c["backend"], 0 if c["expected"] is None else
                                                      2 if c.get("attributed") is False else 1, -c["test_count"],
                                                      c["cause"]))
    for f in findings:
        f["intermittent"] = f["failures"] < f["runs"]
    return {"backends": [_counts(rows, b, memory_failed) for b in [MEMORY] + backends],
            "findings": findings, "skew": sorted(skew.values(), key=lambda s: s["test"])}


def _counts(rows: list[dict[str, Any]], backend: str, memory_failed: set[str]) -> dict[str, Any]:
    mine = [r for r in rows if r["backend"] == backend]
    return {"backend": backend, "tests": len(mine), "runs": sum(r["runs"] for r in mine),
            "passed": sum(1 for r in mine if not r["failed"] and r["skipped"] < r["runs"]),
            "failed": sum(1 for r in mine if r["failed"] and r["test"] not in memory_failed),
            "skew": sum(1 for r in mine if r["failed"] and r["test"] in memory_failed),
            "skipped": sum(1 for r in mine if not r["failed"] and r["skipped"] == r["runs"])}


def reviewed(backend: str, test: str, sig: str, expected: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The reviewed cause (expected.toml) that claims this failing test on this backend, or None."""
    for e in expected:
        if backend not in e["backends"]:
            continue
        if e.get("tests") and not any(_matches(test, pat) for pat in e["tests"]):
            continue
        if re.search(e.get("match") or "", sig):
            return e
    return None


def _matches(test: str, pattern: str) -> bool:
    """A test id, or a pattern where only `*` is special (ids hold brackets: fnmatch would read them as classes)."""
    if "*" not in pattern:
        return test == pattern
    return re.fullmatch(".*".join(map(re.escape, pattern.split("*"))), test) is not None


def _expected_fields(known: dict[str, Any] | None) -> dict[str, Any]:
    if known is None:
        return {"expected": None}
    return {"expected": known["id"], "attributed": known.get("attributed", True), "explanation": known["explanation"],
            "evidence": known.get("evidence", ""), "upstream_check": known.get("upstream_check") or None}
