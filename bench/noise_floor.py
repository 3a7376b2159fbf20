"""How far this machine alone moves a Postgres÷Redis ratio between timing windows, and so what target it can hold.

    python bench/noise_floor.py [--seconds 100] [--op put] [--target 0.05]

Two savers only (the built-in Postgres and Redis, on embedded servers this script starts and removes), pinned like
the headline layout where the platform allows, one op timed interleaved in back-to-back rounds for --seconds. The
rounds are then cut into windows of 0.5, 1, 2 and 4 seconds, and for each length the script prints how far the
window ratio moves (its spread around the median) and how often three windows spaced like a run's repeats (five
windows apart) spread more than the target. Nothing in the suite changes between windows: whatever moves the ratio
is the machine's. A run's own repeats cannot be expected to hold a target that this machine misses here.

Not a timed unit test, and not part of a run: a check a team runs on its runner before choosing a profile's target.
Exit 0 when the suite's windows (about 1 s for a headline op in the standard profile) hold the target in 9 spaced
triples of 10; 1 otherwise; 2 when the servers could not be started.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from parity import stats
from parity.backends.backend import SaverContext
from parity.backends.registry import default_registry
from parity.measuring import ops, placement, timing
from parity.measuring.repeatability import spread
from parity.measuring.runner import run_sync

LENGTHS_S = (0.5, 1.0, 2.0, 4.0)
SPACING = 5  # windows between two "repeats": a run's repeats are separated by the other ops' windows
SUITE_WINDOW_S = 1.0  # about one headline op's window in the standard profile (25 rounds of 10 calls, 6 backends)
PER_ROUND = 10


def windows(rounds: list[tuple[float, list[int], list[int]]], seconds: float) -> list[float]:
    """Cut (time, numerator ns, denominator ns) rounds into windows [k*seconds, (k+1)*seconds): each one's p50 ratio
    (the last, cut short by the end of the run, left out)."""
    groups: dict[int, list] = {}
    for t, a, b in rounds:
        groups.setdefault(int(t // seconds), []).append((a, b))
    out = []
    for k in sorted(groups)[:-1]:
        num = [x for a, _ in groups[k] for x in a]
        den = [x for _, b in groups[k] for x in b]
        out.append(stats.percentile(num, 50) / stats.percentile(den, 50))
    return out


def spaced_triples(values: list[float]) -> list[float]:
    return [spread([values[i], values[i + SPACING], values[i + 2 * SPACING]])
            for i in range(len(values) - 2 * SPACING)]


def measure(op_name: str, seconds: float) -> tuple[list, str]:
    from parity.servers.embedded import embedded_servers

    with embedded_servers("redis", "postgres") as (redis, postgres):
        return _time(op_name, seconds, [postgres.endpoint(), redis.endpoint()])


def _time(op_name: str, seconds: float, endpoints: list) -> tuple[list, str]:
    registry = default_registry()
    pg, rd = registry.get("postgres"), registry.get("redis")
    rounds: list = []
    with placement.headline(endpoints) as layout:
        with pg.saver("sync", SaverContext(endpoints[0], "parity_noise_floor_pg")) as ps, \
                rd.saver("sync", SaverContext(endpoints[1], "parity_noise_floor_rd")) as rs:
            op = next(o for o in ops.CORE_OPS if o.name == op_name and o.payload == "1KB")
            arms = {}
            for name, saver in (("postgres", ps), ("redis", rs)):
                arms[name] = run_sync(ops.prepare(op, ops.SaverCalls(saver, "sync"), f"noise-{name}", 10**6, 20))
            timing.interleave_sync(arms, timing.Plan(5, PER_ROUND, 20))  # warm-up, untimed
            t0, i = time.monotonic(), 100
            while time.monotonic() - t0 < seconds:
                s = timing.interleave_sync(arms, timing.Plan(1, PER_ROUND, 0), start=i)
                rounds.append((time.monotonic() - t0, s["postgres"], s["redis"]))
                i += PER_ROUND
    return rounds, (layout["layout"] + (f" ({layout['why']})" if layout.get("why") else ""))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=100.0, help="how long to time (default 100)")
    p.add_argument("--op", default="put", choices=("put", "put_writes", "get_tuple_latest", "list_10"))
    p.add_argument("--target", type=float, default=0.05, help="the spread a run's repeats should hold (default 0.05)")
    args = p.parse_args(argv)
    if args.seconds < 2 * SPACING * max(LENGTHS_S) * 2:
        print(f"noise_floor: --seconds {args.seconds:g} is too short for three spaced 4 s windows; "
              f"give at least {2 * SPACING * max(LENGTHS_S) * 2:g}", file=sys.stderr)
        return 2
    try:
        rounds, layout = measure(args.op, args.seconds)
    except Exception as exc:  # the embedded servers or their wheels: say what failed, never a traceback
        print(f"noise_floor: could not time on embedded servers: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    print(f"{args.op}[1KB] sync postgres÷redis, {len(rounds)} rounds of {PER_ROUND} calls each in {args.seconds:g} s; "
          f"{layout}")
    held = None
    for length in LENGTHS_S:
        v = windows(rounds, length)
        triples = spaced_triples(v)
        if not triples:
            continue
        miss = sum(s > args.target for s in triples) / len(triples)
        med = statistics.median(v)
        print(f"  windows of {length:g} s: {len(v)}, ratio median {med:.3f}, middle 90% "
              f"{stats.percentile(v, 5) / med - 1:+.1%} .. {stats.percentile(v, 95) / med - 1:+.1%}; three spaced "
              f"windows spread beyond ±{args.target:.0%} in {miss:.0%} of {len(triples)} triples "
              f"(median spread {statistics.median(triples):.1%}; 9 in 10 within {stats.percentile(triples, 90):.1%})")
        if length == SUITE_WINDOW_S:
            held = miss <= 0.10
    print(f"a {SUITE_WINDOW_S:g} s window {'holds' if held else 'does NOT hold'} ±{args.target:.0%} across three repeats "
          "in 9 of 10 cases on this machine now")
    return 0 if held else 1


if __name__ == "__main__":
    raise SystemExit(main())
