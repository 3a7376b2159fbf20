"""Exit codes, one contract for every command, and `--fail-on` of the commands that gather evidence.

Commands that gather evidence (`run`, `check`, `replay`, `langgraph-tests`) exit 0 when the run completed, whatever it
found: the findings and verdicts are results, written to the run's folder. `--fail-on diverged` (unlisted
divergences) and `--fail-on failed` (cells or tests that could not run) make them exit 1 instead, as pytest would.
Commands that decide (`gate`, `compare`) exit 1 when the decision fails. Every command exits 2 on bad input or a setup
it cannot use (one line saying what is wrong and how to fix it), and 130 when interrupted (Ctrl-C, SIGTERM).
"""

from __future__ import annotations

from typing import Any

OK = 0
FAILED = 1  # a deciding command's decision failed, or an evidence command's --fail-on matched
USAGE = 2  # bad input, or a setup the run cannot use; nothing was judged
INTERRUPTED = 130

FAIL_ON = ("diverged", "failed")
HARNESS_FAILURES = ("failed", "error")  # a cell that could not run to a verdict (timed out, crashed, setup broke)


def add_fail_on(parser) -> None:
    parser.add_argument("--fail-on", action="append", default=[], choices=FAIL_ON, metavar="diverged|failed",
                        help="exit 1 when the run found unlisted divergences (diverged) or cells and tests that "
                             "could not run (failed); repeatable. Default: exit 0 whenever the run completed")


def matched(doc: dict[str, Any], fail_on: list[str]) -> list[str]:
    """One line per --fail-on condition the run meets (empty: exit 0)."""
    cells = doc.get("cells") or []
    lines = []
    if "diverged" in fail_on:
        diverged = [c for c in cells if c.get("status") == "diverged"]
        if diverged:
            lines.append(f"{len(diverged)} cell(s) diverged from the reference (not in the known divergences), "
                         f"e.g. {diverged[0]['id']}")
    if "failed" in fail_on:
        broken = [c for c in cells if c.get("status") in HARNESS_FAILURES]
        others = (doc.get("run") or {}).get("failed_tests") or []
        if broken or others:
            first = broken[0]["id"] if broken else others[0]["id"]
            lines.append(f"{len(broken)} cell(s) and {len(others)} other test(s) could not run to a verdict, "
                         f"e.g. {first}")
    return lines


def replay_matched(replay: dict[str, Any], fail_on: list[str]) -> list[str]:
    """--fail-on for `parity replay`: threads that read back differently (diverged) or raised (failed)."""
    targets = [t for t in replay.get("targets") or [] if isinstance(t, dict)]
    lines = []
    for kind, key in (("diverged", "diverged_threads"), ("failed", "errored_threads")):
        hit = [f"{t.get('backend')} {len(t.get(key) or [])}" for t in targets if t.get(key)]
        if kind in fail_on and hit:
            verb = "diverged" if kind == "diverged" else "errored"
            lines.append(f"threads that {verb} on a target: {', '.join(hit)}")
    return lines


def langgraph_tests_matched(section: dict[str, Any], fail_on: list[str]) -> list[str]:
    """--fail-on for `parity langgraph-tests`: tests failing on a saver only that no reviewed cause lists (diverged);
    tests that could not run to a verdict (an error in setup or teardown, a hang) or savers that could not be opened
    (failed)."""
    lines = []
    unlisted = [f for f in section.get("findings") or [] if not f.get("expected")]
    if "diverged" in fail_on and unlisted:
        first = unlisted[0]
        count = sum(int(f.get("test_count") or 0) for f in unlisted)
        lines.append(f"{count} LangGraph test(s) failed on a saver only, outside the reviewed causes, "
                     f"e.g. [{first.get('backend')}] {(first.get('tests') or ['?'])[0]}")
    if "failed" in fail_on:
        broken = [r for r in section.get("rows") or [] if r.get("failed") and _no_verdict(r.get("failure") or {})]
        not_run = section.get("not_run") or []
        if broken or not_run:
            first = f"{broken[0]['backend']} {broken[0]['test']}" if broken else not_run[0].get("backend")
            lines.append(f"{len(broken)} LangGraph test(s) and {len(not_run)} saver(s) could not run to a verdict, "
                         f"e.g. {first}")
    return lines


def _no_verdict(failure: dict[str, Any]) -> bool:
    """A setup or teardown error (the saver or a fixture broke before or after the test), or a hang (pytest-timeout's
    failure): the test's assertion never decided."""
    return failure.get("phase") in ("setup", "teardown") or "from pytest-timeout" in (failure.get("message") or "")


def report(lines: list[str]) -> int:
    """The --fail-on lines on stderr; 1 when there are any, else 0."""
    import sys

    for line in lines:
        print(f"parity: --fail-on: {line}", file=sys.stderr)
    return FAILED if lines else OK


def decide(doc: dict[str, Any], fail_on: list[str]) -> int:
    """The exit code of a completed evidence run: 0, or 1 with the reasons on stderr when --fail-on matched."""
    return report(matched(doc, fail_on) + replay_matched(doc.get("replay") or {}, fail_on))
