"""Exit codes, one contract for every command, and `--fail-on` of the commands that gather evidence.

Commands that gather evidence (`run`, `check`, `replay`) exit 0 when the run completed, whatever it found: the
findings and verdicts are results, written to the run's folder. `--fail-on diverged` (unlisted divergences) and
`--fail-on failed` (cells or tests that could not run) make them exit 1 instead, as pytest would. Commands that
decide (`gate`, `compare`) exit 1 when the decision fails. Every command exits 2 on bad input or a setup it cannot
use (one line saying what is wrong and how to fix it), and 130 when interrupted (Ctrl-C, SIGTERM).
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


def decide(doc: dict[str, Any], fail_on: list[str]) -> int:
    """The exit code of a completed evidence run: 0, or 1 with the reasons on stderr when --fail-on matched."""
    import sys

    lines = matched(doc, fail_on) + replay_matched(doc.get("replay") or {}, fail_on)
    for line in lines:
        print(f"parity: --fail-on: {line}", file=sys.stderr)
    return FAILED if lines else OK
