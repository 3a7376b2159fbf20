"""Two benchmark runs of the headline cells back to back: the worst headline ratio pair between them, and each run's own.

    python bench/repeatability.py [--profile quick|standard] [--loop selector] [--keep DIR]
    python bench/repeatability.py --compare A/results.json B/results.json   (two runs made before)

Not a timed unit test: a check a team (or this project) runs on a quiet machine to see whether its figures repeat.
Exit 0 when issue 18's two conditions hold: every headline ratio of the two runs within the profile's target of
each other, and each run's own repeats of the put ratio within it too; 1 otherwise (with the pair that missed); 2
when a run could not be made. The worst own repeat of any headline ratio is printed beside them: it is what makes a
run say NOISY RUN, and it is held to the same target there.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from parity.measuring import repeatability


def run(out: Path, profile: str, loop: str | None) -> dict:
    cmd = [sys.executable, "-m", "parity.cli", "run", "--only", "bench", "--profile", profile, "--history", "none",
           "-k", "test_core_ops_defaults", "--out", str(out)] + (["--loop", loop] if loop else [])
    print("$ " + " ".join(cmd[2:]), flush=True)
    done = subprocess.run(cmd)
    path = out / "results.json"
    if done.returncode not in (0, 1) or not path.exists():
        print(f"repeatability: the run into {out} failed (exit {done.returncode}); see its output above", file=sys.stderr)
        raise SystemExit(2)
    return json.loads(path.read_text(encoding="utf-8"))


def headline(doc: dict) -> dict[tuple, float]:
    """The run's headline ratios (the median over its repeats and fresh processes), keyed without the repeat."""
    return {tuple(e.get(k) for k in repeatability.KEY): e["headline"]
            for e in (doc.get("repeatability") or {}).get("headline", []) if e.get("headline")}


def own_repeats(doc: dict, op: str | None = None) -> dict | None:
    """The widest own-repeat spread of the run's headline ratios (of one op, if named)."""
    entries = [e for e in (doc.get("repeatability") or {}).get("headline", []) if op is None or e.get("op") == op]
    return max(entries, key=lambda e: e["spread"], default=None)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--profile", default="quick", choices=("quick", "standard", "full"))
    p.add_argument("--loop", default=None, help="one event loop for the async cells (default: all of the platform)")
    p.add_argument("--keep", default=None, help="keep both runs under this folder (default: a temp folder, removed)")
    p.add_argument("--compare", nargs=2, metavar="RESULTS", default=None,
                   help="judge two results.json files made before instead of making two runs")
    args = p.parse_args(argv)
    if args.compare:
        try:
            a, b = (json.loads(Path(f).read_text(encoding="utf-8")) for f in args.compare)
        except (OSError, ValueError) as exc:
            print(f"repeatability: cannot read {exc}; give two results.json files of benchmark runs", file=sys.stderr)
            return 2
    else:
        with tempfile.TemporaryDirectory(prefix="parity-repeat-") as tmp:
            root = Path(args.keep or tmp)
            a, b = run(root / "a", args.profile, args.loop), run(root / "b", args.profile, args.loop)
    target = repeatability.target(a)
    ha, hb = headline(a), headline(b)
    pairs = sorted(((abs(hb[k] - ha[k]) / min(ha[k], hb[k]), k) for k in ha.keys() & hb.keys()), reverse=True)
    if not pairs:
        print("repeatability: no headline ratio in both runs (needs a Redis and a Postgres backend)")
        return 2
    ok = True
    for name, doc in (("run a", a), ("run b", b)):
        rep = doc.get("repeatability") or {}
        put, worst = own_repeats(doc, "put"), own_repeats(doc)
        if put:
            ok &= put["spread"] <= target
            print(f"{name}: own repeats of the put ratio worst {put['spread']:.1%} ({repeatability.label(put)} "
                  f"{' vs '.join(f'{m:.3g}' for m in put['medians'])})")
        if worst:
            print(f"{name}: own repeats of any headline ratio worst {worst['spread']:.1%} "
                  f"({repeatability.label(worst)} {' vs '.join(f'{m:.3g}' for m in worst['medians'])}"
                  f"{'' if worst['spread'] <= target else ', a NOISY RUN'}); machine: {repeatability.noise_line(doc)}")
        if repeatability.retimed_line(rep):
            print(f"{name}: {repeatability.retimed_line(rep)}")
    rel, key = pairs[0]
    entry = dict(zip(repeatability.KEY, key))
    ok &= rel <= target
    print(f"between runs: worst {rel:.1%} ({repeatability.label(entry)} {ha[key]:.3g} vs {hb[key]:.3g}); "
          f"{sum(r <= target for r, _ in pairs)}/{len(pairs)} headline ratios within ±{target:.0%}")
    print(f"repeatable within ±{target:.0%} (between runs, and the put ratio's own repeats)" if ok
          else f"NOT repeatable within ±{target:.0%} on this machine now")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
