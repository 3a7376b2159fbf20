"""`parity calibrate`: clean and slowed benchmark runs of the headline cell; what compare detects on this runner."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from parity import roles
from parity import results
from parity.calibrate import FILE
from parity.cli import Parser
from parity.errors import ParityUsageError

DEFAULT_OUT = Path("reports") / "calibration"


def build_parser() -> Parser:
    p = Parser(prog="parity calibrate", description="inject known client-side slowdowns into one backend's saver "
               "methods, run the benchmark's headline cell clean and slowed, and report the smallest slowdown "
               "`parity compare` flags per method and flavour and how many same-code pairs it flags")
    p.add_argument("--target", default=roles.DEFAULT[0].candidate, metavar="BACKEND", help="the backend whose "
                   f"saver is slowed (default {roles.DEFAULT[0].candidate}, the default pair's candidate)")
    p.add_argument("--methods", default="put,get_tuple", help="saver methods to slow, one at a time (default "
                   "put,get_tuple; also put_writes, list, delete_thread)")
    p.add_argument("--shares", default="0.1,0.2,0.4", help="slowdowns to try, as shares of the method's own median "
                   "(default 0.1,0.2,0.4)")
    p.add_argument("--same-code", type=int, default=3, metavar="N", help="clean runs besides the first; every pair "
                   "of clean runs is a same-code pair (default 3: 6 pairs)")
    p.add_argument("--profile", default="quick", choices=("quick", "standard", "full"))
    p.add_argument("-k", dest="keyword", default="test_core_ops_defaults", help="the benchmark cells each run "
                   "times (default: the headline cell, both flavours)")
    p.add_argument("--out", default=str(DEFAULT_OUT), metavar="DIR", help=f"the runs and {FILE} (default "
                   f"{DEFAULT_OUT})")
    p.add_argument("--judge", default=None, metavar="DIR", help="make no run: judge the clean and slowed runs of an "
                   f"earlier calibration in DIR again with this version's compare (rewrites DIR/{FILE} and its report)")
    p.add_argument("run_args", nargs="*", help="more `parity run` options for every run, after -- "
                   "(e.g. -- --backend memory,redis,postgres --redis-url ...)")
    return p


def plan(args) -> tuple[list[str], list[tuple[str, float]]]:
    """The slowdowns to run, checked before any run starts (one line and exit 2 when one is wrong)."""
    from parity.measuring.slowdown import METHODS, parse

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ParityUsageError(f"--methods: unknown saver method {unknown[0]!r}", f"use some of {', '.join(METHODS)}")
    try:
        shares = sorted({float(s) for s in args.shares.split(",") if s.strip()})
    except ValueError:
        raise ParityUsageError(f"--shares {args.shares!r}: not numbers", "give shares like 0.1,0.2,0.4") from None
    slowed = [(m, parse(f"{args.target}:{m}={s}").share) for m in methods for s in shares]
    if not slowed:
        raise ParityUsageError("nothing to calibrate: no method or share given", "give --methods and --shares")
    if args.same_code < 1:
        raise ParityUsageError(f"--same-code {args.same_code}: need at least 1 (a same-code pair needs two clean runs)",
                               "give --same-code 1 or more")
    return methods, slowed


def bench_run(args, out: Path, slowdown: str | None = None) -> dict:
    cmd = [sys.executable, "-m", "parity.cli", "run", "--only", "bench", "--profile", args.profile, "--history",
           "none", "-k", args.keyword, "--out", str(out), *args.run_args]
    cmd += ["--slowdown", slowdown] if slowdown else []
    print("$ parity " + " ".join(cmd[3:]), flush=True)
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL)
    if done.returncode not in (0, 1) or not (out / "results.json").exists():
        raise ParityUsageError(f"the run into {out} failed (exit {done.returncode})",
                               f"run `parity {' '.join(cmd[3:])}` to see why")
    return results.load(out)


def report_dir(out: Path, cal: dict, clean: dict) -> Path:
    """The calibration as a results document of its own (the first clean run's machine and versions) and its
    report: `parity report DIR` shows it again."""
    from parity.cli.report import render_dir

    doc = results.new_document(profile=str(cal.get("profile") or ""))
    doc.update(machine=clean.get("machine") or doc["machine"], versions=clean.get("versions") or doc["versions"],
               calibration=cal)
    doc["run"]["finished"] = cal["made"]
    results.save(doc, out)
    render_dir(out, doc)
    return (out / "report.html").resolve()


def earlier_runs(root: Path) -> tuple[list[dict], list[tuple[str, float, dict]], str, dict]:
    """The clean and slowed runs an earlier `parity calibrate` left in `root` (each slowed run records its slowdown:
    run.slowdowns), the backend it slowed and that calibration's own document ({} when there is none)."""
    from parity.calibrate import load

    if not root.is_dir():
        raise ParityUsageError(f"--judge {root}: no such folder", "give the --out folder of an earlier parity calibrate")
    docs = [(d, results.load(d)) for d in sorted(root.iterdir()) if (d / "results.json").is_file()]
    clean = [doc for d, doc in docs if d.name.startswith("clean-") and not (doc.get("run") or {}).get("slowdowns")]
    slowed = [(str(s["method"]), float(s["share"]), doc) for _, doc in docs
              for s in ((doc.get("run") or {}).get("slowdowns") or [])[:1]]
    targets = {str(s["backend"]) for _, doc in docs for s in (doc.get("run") or {}).get("slowdowns") or []}
    if len(clean) < 2 or not slowed or len(targets) != 1:
        raise ParityUsageError(f"--judge {root}: {len(clean)} clean and {len(slowed)} slowed runs of "
                               f"{len(targets)} target backend(s) found; a calibration needs 2+ clean runs and slowed "
                               "runs of one backend", "give the --out folder of an earlier parity calibrate")
    earlier = load(root / FILE) or {}
    return clean, slowed, targets.pop(), earlier


def main_calibrate(argv: list[str]) -> int:
    from parity.calibrate import build, summary

    args = build_parser().parse_args(argv)
    if args.judge:
        out = Path(args.judge)
        clean, slowed, target, earlier = earlier_runs(out)
        print(f"calibrate: judging {len(clean)} clean and {len(slowed)} slowed runs in {out} again", flush=True)
        cal = build(clean, slowed, target, float(earlier.get("seconds") or 0.0), load=earlier.get("load_avg"))
    else:
        _, slowed_plan = plan(args)
        out, start = Path(args.out), time.monotonic()
        print(f"calibrate: {args.same_code + 1} clean runs and {len(slowed_plan)} slowed runs of -k {args.keyword!r} "
              f"({args.profile} profile)", flush=True)
        clean = [bench_run(args, out / f"clean-{k}") for k in range(args.same_code + 1)]
        slowed = [(m, s, bench_run(args, out / f"{m}-{s:g}", f"{args.target}:{m}={s}")) for m, s in slowed_plan]
        cal = build(clean, slowed, args.target, time.monotonic() - start)
    (out / FILE).write_text(json.dumps(cal, indent=1) + "\n", encoding="utf-8")
    report = report_dir(out, cal, clean[0])
    for d in cal["detection"]:
        for flavour, f in sorted(d["flavours"].items()):
            print(f"  {d['method']} +{d['share']:.0%} ({flavour}): {'flagged' if f['detected'] else 'NOT flagged'}"
                  + (f" ({len(d['unrelated'])} unrelated rows flagged too)" if d["unrelated"] else ""))
    print(summary(cal))
    print(f"calibration: {out / FILE}  (parity compare --calibration {out / FILE} states it)\nreport: {report}")
    return 0
