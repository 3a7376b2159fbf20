"""Regression tracking end to end, on this runner: can `parity compare` be trusted with a team's CI?

    python bench/regression_e2e.py [--profile quick] [--keep DIR] [-- more parity run options]
    python bench/regression_e2e.py --judge CLEAN_A CLEAN_B SLOWED      (three runs made before)

Three benchmark runs of the headline cell: two of the same code, and one with Redis's `put` slowed 30% on the client
(parity calibrate's injected slowdown, from outside the saver). Exit 0 when all of these hold, 1 with the ones that
did not, 2 when a run could not be made, 3 when one of them shows a defect of the suite rather than of the runner:
  1. the two same-code runs: compare exits 0 and flags nothing;
  2. the slowed run against the first: compare exits 1, flags put (or what put moves: graph_step) in at least one
     flavour, and nothing else (how small a change each flavour shows is `parity calibrate`'s to measure);
  3. the two same-code runs give every claim the same verdict (a change is named: TURNED OVER, confirmed <->
     refuted, which a CI near a band edge must never do, or moved to or from partly, which two runs that state
     different noise margins can still do).
Exit 1 is a finding about the runner (a false alarm, a slowdown not seen: what compare can be trusted with there);
exit 3 is the suite's own defect, whatever the runner (a claim TURNED OVER between two runs of one commit). CI's job (.ci/regression.sh) fails on 2 and 3 and reports 1.
Not a timed unit test: a check a team (or CI's longer job) runs on its runner. On a busy machine the noise rules
can explain the slowdown away; the output then says which rule did (compare's "suppressed" lines), and each run's
measurement windows are printed with what else used the machine in them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from parity import results
from parity.calibrate import judge
from parity.compare import compare, default_threshold, format_comparison, has_regression, scope

TARGET, METHOD, SHARE = "redis", "put", 0.3


def windows(name: str, doc: dict) -> None:
    """Each measurement window of a run and what else used the machine in it: why a same-code pair moved."""
    for n in results.rows(doc, "noise"):
        if n.get("kind") == "window":
            print(f"  {name}: {n.get('what')}: {n.get('seconds')} s, other processes {n.get('others_cpu_pct')}% of a "
                  f"CPU, steal {n.get('steal_pct')}%, load {n.get('load_before')} -> {n.get('load_after')}")


def same_code(a: dict, b: dict) -> list[str]:
    rows = compare(a, b, default_threshold(a, b))
    print("== the two same-code runs\n" + format_comparison(rows, scope(a, b, default_threshold(a, b))))
    flagged = [r for r in rows if r["change"] != "unchanged"]
    return [f"same-code runs: compare flagged {len(flagged)} rows (exit {1 if has_regression(rows) else 0})"] \
        if flagged else []


def slowed(a: dict, s: dict) -> list[str]:
    rows = compare(a, s, default_threshold(a, s))
    print(f"== {TARGET} {METHOD} +{SHARE:.0%}\n" + format_comparison(rows, scope(a, s, default_threshold(a, s))))
    verdict = judge(a, s, TARGET, METHOD)
    for flavour, d in sorted(verdict["flavours"].items()):  # what each flavour showed (calibrate measures the power)
        print(f"{TARGET} {METHOD} +{SHARE:.0%} ({flavour}): {'flagged' if d['detected'] else 'not flagged'}")
    problems = [] if any(d["detected"] for d in verdict["flavours"].values()) else [
        f"{TARGET} {METHOD} +{SHARE:.0%} not flagged in any flavour"]
    problems += [f"flagged but unrelated to {METHOD}: {line}" for line in verdict["unrelated"]]
    if not has_regression(rows):
        problems.append("compare exits 0 on the slowed run")
    return problems


def defects(a: dict, b: dict) -> list[str]:
    """What no runner's noise may explain: a claim's verdict turned over between two runs of one commit (a CI that
    crosses a band edge must make it partly, not its opposite)."""
    return [line for line in verdicts(a, b) if "TURNED OVER" in line]


def verdicts(a: dict, b: dict) -> list[str]:
    va = {c["id"]: (c["verdict"], c.get("reason", "")) for c in results.rows(a, "claims")}
    vb = {c["id"]: (c["verdict"], c.get("reason", "")) for c in results.rows(b, "claims")}
    def kind(a: str, b: str) -> str:
        return "TURNED OVER" if {a, b} == {"confirmed", "refuted"} else "moved to or from partly"
    return [f"claim {cid}: {va[cid][0]} then {vb[cid][0]}, {kind(va[cid][0], vb[cid][0])} ({va[cid][1]} | "
            f"{vb[cid][1]})" for cid in sorted(va.keys() & vb.keys()) if va[cid][0] != vb[cid][0]]


def judge_runs(a: dict, b: dict, s: dict) -> int:
    print("== the measurement windows")
    for name, doc in (("clean a", a), ("clean b", b), ("slowed", s)):
        windows(name, doc)
    problems = same_code(a, b) + slowed(a, s) + verdicts(a, b)
    for line in problems:
        print(f"FAIL: {line}")
    if bad := defects(a, b):
        for line in bad:
            print(f"DEFECT: {line}")
        return 3
    print("regression tracking: trusted on this runner" if not problems else
          f"regression tracking: {len(problems)} problem(s) on this runner")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--profile", default="quick", choices=("quick", "standard", "full"))
    p.add_argument("--keep", default=None, help="keep the three runs under this folder (default: removed)")
    p.add_argument("--judge", nargs=3, metavar="RESULTS", default=None, help="judge three runs made before")
    p.add_argument("run_args", nargs="*", help="more `parity run` options, after --")
    args = p.parse_args(argv)
    from parity.errors import ParityUsageError

    try:
        if args.judge:
            return judge_runs(*(results.load(f) for f in args.judge))
        from parity.cli.calibrate import bench_run

        run = argparse.Namespace(profile=args.profile, keyword="test_core_ops_defaults", run_args=args.run_args)
        with tempfile.TemporaryDirectory(prefix="parity-e2e-") as tmp:
            root = Path(args.keep or tmp)
            a, b = bench_run(run, root / "a"), bench_run(run, root / "b")
            s = bench_run(run, root / "slowed", f"{TARGET}:{METHOD}={SHARE}")
            return judge_runs(a, b, s)
    except ParityUsageError as exc:
        print(exc.line(), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
