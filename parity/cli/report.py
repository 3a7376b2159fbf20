"""`parity report | gate | compare`: renderers, the acceptance gate and regression checks, all reading results.json."""

from __future__ import annotations

from pathlib import Path

from parity import results
from parity.cli import Parser



def render_dir(out: Path, doc: dict) -> dict:
    """report.html, summary.md and junit.xml from a document that is valid: saved by its writer (parity.results.save
    validates) or read by results.read."""
    from parity.render import render_all

    render_all(doc, out)
    return doc


def finish_run(out: Path, doc: dict, history_path: Path | None = None, fail_on: list[str] | None = None,
               command: str = "run") -> int:
    """After a run, from the document its session saved (in memory, already validated): join the history, render,
    say what was asked and found, and where the report is. The exit code follows parity.cli.outcome: 0 whatever the
    run found, 1 only for --fail-on."""
    from parity.cli import outcome
    from parity.finish import join_history
    from parity.render.opening import print_opening

    if history_path is not None:
        join_history(doc, history_path)  # its trend was saved with it (parity.cli.run.Written)
    render_dir(out, doc)
    from parity.render.screenshot import screenshot

    shot = screenshot(out / "report.html", out / "report.png")
    print()
    print_opening(doc, command)
    print(f"\nreport: {(out / 'report.html').resolve()}\nsummary: {out / 'summary.md'}  junit: {out / 'junit.xml'}")
    print(f"screenshot: {shot}" if shot else "screenshot: none (no chromium found; apt-get install chromium)")
    if history_path is not None:
        print(f"history: {history_path}")
    broken = [c for c in doc.get("cells", []) if c.get("status") in outcome.HARNESS_FAILURES]
    if broken and "failed" not in (fail_on or []):
        print(f"note: {len(broken)} cell(s) could not run to a verdict (not divergences), e.g. {broken[0]['id']}: "
              f"{broken[0].get('reason', '')} (--fail-on failed makes that exit 1)")
    return outcome.decide(doc, fail_on or [])


def main_report(argv: list[str]) -> int:
    p = Parser(prog="parity report", description="re-render report.html, summary.md, junit.xml from DIR/results.json")
    p.add_argument("dir")
    args = p.parse_args(argv)
    given = Path(args.dir)
    out = given.parent if given.is_file() else given  # a results file renders beside it
    render_dir(out, results.read(given))
    print(f"report: {(out / 'report.html').resolve()}")
    return 0


def main_gate(argv: list[str]) -> int:
    from parity.gate import load_policy, run_gate

    p = Parser(prog="parity gate", description="exit 0 when a run meets the policy, 1 with reasons when not")
    p.add_argument("dir")
    p.add_argument("--policy", required=True)
    args = p.parse_args(argv)
    from parity.gate import describe_policy

    policy = load_policy(Path(args.policy))
    doc = results.read(args.dir)
    for line in describe_policy(policy):
        print(f"policy: {line}")
    ok, reasons = run_gate(doc, policy)
    for reason in reasons:
        print(("ok: " if ok else "FAIL: ") + reason)
    print("gate: passed" if ok else "gate: failed")
    return 0 if ok else 1


SUPPRESSED_SHOWN = 5  # per noise rule, on the terminal: the largest moves; --all for every row


def main_compare(argv: list[str]) -> int:
    from parity.compare import (compare, default_threshold, format_comparison, has_regression, injected_lines,
                                noise_lines, refusal, scope)

    p = Parser(prog="parity compare", description="significant ratio changes between two runs; exit 1 on a regression")
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--threshold", type=float, default=None,
                   help="relative change that counts (default: the runs' repeatability target, 0.10 quick, 0.05 "
                        "standard; raised to a run's own measured noise when that is larger, with the reason)")
    p.add_argument("--calibration", default=None, metavar="FILE",
                   help="what compare detects on this runner, from `parity calibrate` (default: "
                        "reports/calibration/calibration.json when there is one)")
    p.add_argument("--all", action="store_true",
                   help=f"list every row a noise rule explained away (default: the {SUPPRESSED_SHOWN} largest moves "
                        "of each rule, and how many more)")
    args = p.parse_args(argv)
    from parity.calibrate import FILE, load as load_calibration, statement
    from parity.errors import ParityUsageError

    old, new = results.read(args.old), results.read(args.new)
    refused = refusal(old, new)
    if refused:
        raise ParityUsageError(*refused)
    threshold = args.threshold if args.threshold is not None else default_threshold(old, new)
    rows = compare(old, new, threshold=threshold)
    if not rows:
        raise ParityUsageError("nothing in common to compare: no ratio (or shadow or replay figure) of one run "
                               "matches one of the other (other ops, backends, loops or CPU layouts)",
                               "compare two runs made with the same options")
    if old["run"].get("id") == new["run"].get("id"):
        print(f"note: OLD and NEW are the same run ({old['run'].get('id')}): every row is unchanged by definition")
    for line in injected_lines(old, new) + noise_lines(old, new):
        print(line)
    print(format_comparison(rows, scope(old, new, threshold), None if args.all else SUPPRESSED_SHOWN))
    given = Path(args.calibration) if args.calibration else Path("reports") / "calibration" / FILE
    calibration = load_calibration(given)
    if args.calibration and calibration is None:
        print(f"calibration: {given} is not a calibration written by `parity calibrate`; none stated")
    print(statement(calibration, [old, new]) or "calibration: none for this runner (`parity calibrate` measures "
          "the smallest change compare flags here, and how often it flags same-code runs)")
    return 1 if has_regression(rows) else 0
