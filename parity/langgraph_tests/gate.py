"""`[langgraph_tests]` of a gate policy: no LangGraph-test failures (beyond the reviewed causes) on the savers named."""

from __future__ import annotations

from typing import Any

from parity import roles

DEFAULTS = {"max_failures": 0, "allow_expected": True, "allow_unattributed": False}


def rule(table: dict[str, Any] | None) -> dict[str, Any] | None:
    # Reviewed causes (expected.toml, each with an upstream check) do not count by default, as known divergences
    # do not in [compat]; allow_expected = false counts them too. Failures the table lists but has not attributed to
    # a cause count unless allow_unattributed = true (then only failures outside the table count).
    return None if table is None else {**DEFAULTS, **table}


def describe(r: dict[str, Any]) -> str:
    on = ", ".join(r.get("backends") or ["every saver run"])
    mode = f" ({r['mode']} suite)" if r.get("mode") else ""
    known = "" if r.get("allow_expected", True) else "; reviewed causes count too"
    known += "; listed but unattributed failures do not count" if r.get("allow_unattributed") else ""
    return f"langgraph_tests on {on}{mode}: at most {r['max_failures']} failing tests{known}"


def check(doc: dict[str, Any], r: dict[str, Any]) -> list[str]:
    section = doc.get("langgraph_tests")
    if not isinstance(section, dict):
        return ["langgraph_tests: no langgraph_tests section in this run (write one with `parity langgraph-tests "
                "--out DIR`)"]
    reasons = []
    if r.get("mode") and section.get("mode") != r["mode"]:
        reasons.append(f"langgraph_tests: the run is the {section.get('mode')} suite, the policy needs {r['mode']}")
    if section.get("missing_shards"):
        reasons.append(f"langgraph_tests: shards {', '.join(section['missing_shards'])} missing")
    ran = {b.get("backend"): b for b in section.get("backends") or []}
    for name in r.get("backends") or [b for b in ran if b != roles.REFERENCE]:
        if name not in ran or not ran[name].get("tests"):
            reasons.append(f"langgraph_tests: {name} did not run (savers run: "
                           f"{', '.join(b for b in ran if b != roles.REFERENCE) or 'none'})")
            continue
        counted = [f for f in section.get("findings") or [] if f.get("backend") == name and not _allowed(f, r)]
        failing = sum(int(f.get("test_count") or 0) for f in counted)
        if failing > r["max_failures"]:
            causes = "; ".join(str(f.get("cause"))[:80] for f in counted[:3])
            reasons.append(f"langgraph_tests: {failing} tests fail on {name} only (policy: at most "
                           f"{r['max_failures']}), {len(counted)} causes: {causes}")
    return reasons


def _allowed(finding: dict[str, Any], r: dict[str, Any]) -> bool:
    if not finding.get("expected") or not r.get("allow_expected", True):
        return False
    return finding.get("attributed", True) is not False or bool(r.get("allow_unattributed"))
