"""What ShadowSaver costs the app: the primary path timed bare and through the shadow, arms interleaved per round."""

from __future__ import annotations

import asyncio
import functools
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

from parity import stats
from parity.measuring import ops, timing
from parity.shadow.mirror import BATCH_S

# Issue 19's targets: p50 added on the primary path by the shadow, per read-sampling fraction. Stated beside every
# figure and judged from the CI; never used to choose how the benchmark runs.
TARGETS = {0.01: 0.05, 1.0: 0.15}
# One app step: a mirrored write, then a read that may be sampled; and the whole step. With many callers on one
# CPU most of a call's time is waiting for the GIL, and which of the two calls a wait lands in is arbitrary: the
# step's time does not depend on that split.
OPS = ("put", "get_tuple", "step")
# The arms beside "bare": issue 19's two sampling fractions, and the mirror alone (no read compared), which tells
# the cost of mirroring writes from the cost of comparing reads; each with the candidate on a worker thread in the
# app's process, and the two fractions again with the candidate in a sidecar process (isolation="process").
FRACTIONS = {"mirror only": 0.0, "shadow 1%": 0.01, "shadow 100%": 1.0,
             "sidecar 1%": 0.01, "sidecar 100%": 1.0,
             "in-memory candidate 1%": 0.01, "sidecar, in-memory candidate 1%": 0.01}
ISOLATION = {"sidecar 1%": "process", "sidecar 100%": "process",
             "sidecar, in-memory candidate 1%": "process"}  # the others: "thread"
# Arms whose candidate is an InMemorySaver instead of the Redis server: what the shadow itself adds to the app's
# path, without a candidate server's work. On this kind of machine (2 CPUs) the candidate server shares a CPU with
# the primary server, which a deployment would not; these arms separate the two costs. They have no target (issue
# 19's targets are for a real candidate) and never stand in for the Redis arms' verdicts.
IN_MEMORY = ("in-memory candidate 1%", "sidecar, in-memory candidate 1%")


def builtin_candidate(backend: str, family: str, url: str, scope: str):
    """What a sidecar arm's process builds: a built-in backend's sync saver under its own scope (a context manager;
    the sidecar closes it, and with it drops the scope, when the shadow closes). Module level so it can be sent."""
    from parity.backends.backend import SaverContext
    from parity.backends.registry import default_registry
    from parity.servers.endpoint import Endpoint

    endpoint = Endpoint(family=family, url=url, provider="sidecar", owned=False) if family else None  # serverless
    return default_registry().get(backend).saver("sync", SaverContext(endpoint, scope))
# Bootstrap resamples per ratio: below stats' default 2000 for time (a run computes ~70 ratios, p99 ones sort).
CI_RESAMPLES = 1000


@dataclass(frozen=True)
class CostPlan:
    """rounds per level; each round runs `steps` app steps (put + get_tuple) per arm, spread over the workers."""

    levels: tuple[int, ...] = (1, 16, 64)
    rounds: int = 12  # the CIs resample rounds: more, shorter rounds give them more independent units
    steps: int = 48
    queue_size: int = 10_000  # ShadowSaver's default: the cost of the default configuration is what we report

    def per_worker(self, workers: int) -> int:
        return max(2, self.steps // workers)


# Samples per arm, op and level = rounds x steps (at 64 callers: rounds x 128, each caller making 2 steps a turn).
PLANS = {"quick": CostPlan(rounds=6, steps=32), "standard": CostPlan(), "full": CostPlan(rounds=32, steps=128)}


def arms_for(primary: Any, shadows: dict[str, Any]) -> dict[str, Any]:
    """The savers the app would call: the primary alone ("bare"), then each shadow wrapping that same primary."""
    return {"bare": primary, **shadows}


def step_sync(saver, thread: ops.Thread, state, out: dict[str, list[int]]) -> None:
    clock = time.perf_counter_ns
    t0 = clock()
    args = thread.next_put(saver, state)
    thread.ids.append(saver.put(*args)["configurable"]["checkpoint_id"])
    t1 = clock()
    saver.get_tuple(ops.cfg(thread.id))
    t2 = clock()
    out["put"].append(t1 - t0)
    out["get_tuple"].append(t2 - t1)
    out["step"].append(t2 - t0)


async def step_async(saver, thread: ops.Thread, state, out: dict[str, list[int]]) -> None:
    clock = time.perf_counter_ns
    t0 = clock()
    args = thread.next_put(saver, state)
    thread.ids.append((await saver.aput(*args))["configurable"]["checkpoint_id"])
    t1 = clock()
    await saver.aget_tuple(ops.cfg(thread.id))
    t2 = clock()
    out["put"].append(t1 - t0)
    out["get_tuple"].append(t2 - t1)
    out["step"].append(t2 - t0)


class Level:
    """One concurrency level: per arm, one checkpoint thread per worker (a shadow's candidate sees only its own)."""

    def __init__(self, arms: dict[str, Any], workers: int, tag: str) -> None:
        self.arms, self.workers = arms, workers
        self.threads = {a: [ops.Thread(f"{tag}-{a.replace(' ', '').replace('%', 'pct')}-w{workers}-{k}")
                            for k in range(workers)] for a in arms}
        # per arm and op, one list of samples per round: the rounds are the independent units (see compare)
        self.samples: dict[str, dict[str, list[list[int]]]] = {a: {op: [] for op in OPS} for a in arms}

    def orders(self, rounds: int) -> list[list[str]]:
        names = list(self.arms)
        return [names[r % len(names):] + names[:r % len(names)] for r in range(rounds)]


def run_sync(arms: dict[str, Any], plan: CostPlan, workers: int, state, tag: str,
             settle: Callable[[str], None]) -> dict[str, dict[str, list[list[int]]]]:
    """Threads as the callers (a sync app under a threaded server). settle(arm) runs untimed after each arm's turn."""
    level = Level(arms, workers, tag)
    per = plan.per_worker(workers)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        def turn(arm: str, out: dict[str, list[list[int]]] | None, steps: int) -> None:
            saver = arms[arm]

            def work(thread):
                mine = {op: [] for op in OPS}
                for _ in range(steps):
                    step_sync(saver, thread, state, mine)
                return mine
            this_round: dict[str, list[int]] = {op: [] for op in OPS}
            for mine in pool.map(work, level.threads[arm]):
                for op in OPS:
                    this_round[op].extend(mine[op])
            if out is not None:
                for op in OPS:
                    out[op].append(this_round[op])
            settle(arm)
        for arm in arms:  # warm-up: the threads exist, connections and pools are open, caches are filled
            turn(arm, None, 2)
        for order in level.orders(plan.rounds):
            for arm in order:
                turn(arm, level.samples[arm], per)
    return level.samples


async def run_async(arms: dict[str, Any], plan: CostPlan, workers: int, state, tag: str,
                    settle: Callable[[str], None]) -> dict[str, dict[str, list[list[int]]]]:
    """Tasks on one event loop as the callers (an async app); the shadow's candidate runs on its worker thread."""
    level = Level(arms, workers, tag)
    per = plan.per_worker(workers)

    async def turn(arm: str, out: dict[str, list[list[int]]] | None, steps: int) -> None:
        saver = arms[arm]
        mine = {op: [] for op in OPS}

        async def work(thread):
            for _ in range(steps):
                await step_async(saver, thread, state, mine)
        await asyncio.gather(*(work(t) for t in level.threads[arm]))
        if out is not None:
            for op in OPS:
                out[op].append(mine[op])
        settle(arm)
    for arm in arms:
        await turn(arm, None, 2)
    for order in level.orders(plan.rounds):
        for arm in order:
            await turn(arm, level.samples[arm], per)
    return level.samples


def p99(values) -> float:
    return stats.percentile(values, 99)


def verdict(added_ci: tuple[float, float], target: float | None) -> str:
    """From the CI of the added fraction: met only if all of it is below the target, not met if all of it is above."""
    if target is None:
        return "no target"
    low, high = added_ci
    if high < target:
        return "met"
    if low > target:
        return "not met"
    return "undecided: the CI spans the target"


def ratios(bare_r: list[list[float]], shadow_r: list[list[float]]) -> dict[str, Any]:
    """Shadow ÷ bare for p50 and p99 (ms, one list per round), each with a CI from resampling whole rounds (round k
    of both arms ran side by side). A round's calls are not independent: with 64 callers its 128 steps share one
    stretch of the machine, and a bootstrap over single calls gave [1.22, 1.25] for a ratio the next run measured
    at 1.10. Also the fault study's figure per phase."""
    bare, shadow = [x for r in bare_r for x in r], [x for r in shadow_r for x in r]
    r50 = stats.bootstrap_rounds_ratio_ci(shadow_r, bare_r, n_resamples=CI_RESAMPLES)
    r99 = stats.bootstrap_rounds_ratio_ci(shadow_r, bare_r, stat=p99, n_resamples=CI_RESAMPLES)
    return {"n": len(shadow), "n_bare": len(bare), "rounds": len(shadow_r),
            "bare_p50_ms": stats.percentile(bare, 50), "shadow_p50_ms": stats.percentile(shadow, 50),
            "bare_p99_ms": p99(bare), "shadow_p99_ms": p99(shadow),
            "p50_ratio": r50[0], "p50_ci_low": r50[1], "p50_ci_high": r50[2],
            "p99_ratio": r99[0], "p99_ci_low": r99[1], "p99_ci_high": r99[2]}


def compare(bare_rounds: list[list[int]], shadow_rounds: list[list[int]], fraction: float,
            judged: bool = True) -> dict[str, Any]:
    """Shadow ÷ bare for p50 and p99 of the samples (ns, one list per round), judged against issue 19's target."""
    r = ratios([timing.to_ms(x) for x in bare_rounds], [timing.to_ms(x) for x in shadow_rounds])
    target = TARGETS.get(fraction) if judged else None
    return {"read_fraction": fraction, **r,
            "p50_added": r["p50_ratio"] - 1, "p50_target_added": target,
            "p50_verdict": verdict((r["p50_ci_low"] - 1, r["p50_ci_high"] - 1), target),
            "p99_verdict": "no target (issue 19 sets one for p50 only)"}


def load() -> dict[str, float] | None:
    """The machine's 1/5/15-minute load averages (what `uptime` shows), beside every figure."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:  # not on every platform
        return None
    return {"1m": round(one, 2), "5m": round(five, 2), "15m": round(fifteen, 2)}


def rows_for(samples: dict[str, dict[str, list[list[int]]]], fractions: dict[str, float],
             base: dict[str, Any]) -> list[dict]:
    """One row per shadow arm and op: its ratios to the bare arm of the same level."""
    out = []
    for arm, fraction in fractions.items():
        for op in OPS:
            # With several callers, a GIL wait lands in put or in get_tuple arbitrarily (see OPS): only the whole
            # step is judged there (a get_tuple 6x faster through the shadow at 16 callers was such a split).
            split = op != "step" and (base.get("concurrency") or 1) > 1
            row = {**base, "op": op, "arm": arm, "isolation": ISOLATION.get(arm, "thread"),
                   "candidate": "InMemorySaver" if arm in IN_MEMORY else base.get("candidate"),
                   **compare(samples["bare"][op], samples[arm][op], fraction,
                             judged=arm not in IN_MEMORY and not split)}
            if split and arm not in IN_MEMORY:
                row["p50_verdict"] = ("no target: with several callers the time waiting for the GIL splits "
                                      "arbitrarily between put and get_tuple; the step is judged")
            out.append(row)
    return out


def kept_up_allowance(turn_s: float) -> float:
    """How long a turn's backlog may take to drain for the mirror to count as having kept up during the turn: one
    nap of the worker or sidecar (it takes the items that came during its last nap only after it), one more for
    those items (a mirror as fast as the app needs at most the nap's time for them), plus a tenth of the turn."""
    return 2 * BATCH_S + 0.1 * turn_s


def fell_behind(row: dict[str, Any], worst_s: float) -> None:
    """Work left at the end of a turn is done while settling, untimed, so its cost is missing from the figure.
    A mirror that fell behind cannot have met a target (the missing cost only adds); "not met" stands."""
    row["fell_behind_s"] = round(max(0.0, worst_s), 3)
    if worst_s > 0 and row["p50_target_added"] is not None and not row["p50_verdict"].startswith("not met"):
        row["p50_verdict"] = (f"undecided: the mirror fell behind (a turn's backlog took {worst_s:.2f} s beyond the "
                              "allowance to drain, untimed), so part of its cost is not in the figure")


def describe(row: dict[str, Any]) -> str:
    """One progress line: the figure, its CI, the target and the verdict, and the load it was measured under."""
    target = row["p50_target_added"]
    aim = f"target < +{target:.0%}" if target is not None else "no target"
    ld = row.get("load_before") or {}
    return (f"shadow cost {row['flavour']} c={row['concurrency']} {row['arm']} {row['op']}: p50 "
            f"{row['bare_p50_ms']:.3f} -> {row['shadow_p50_ms']:.3f} ms, x{row['p50_ratio']:.3f} "
            f"[{row['p50_ci_low']:.3f}, {row['p50_ci_high']:.3f}] ({aim}: {row['p50_verdict']}); p99 x{row['p99_ratio']:.2f} "
            f"[{row['p99_ci_low']:.2f}, {row['p99_ci_high']:.2f}]; drained {row.get('drain_s', 0):.2f} s; "
            f"load {ld.get('1m', '?')}")


def _pool(plan: CostPlan) -> dict[str, Any]:
    # The primary gets a pool as large as the most callers (min 4), as a team running 64 callers would configure it:
    # with the savers' default single connection the callers queue on one lock and the shadow's cost is hidden.
    top = max(plan.levels)
    return {"max_size": top, "min_size": min(4, top), "timeout": 30.0, "max_connections": top}


def layout(session, endpoints: dict[str, Any], plan: CostPlan, flavour: str) -> dict[str, Any]:
    """Where each side ran: written beside the figures (the machine block of the document says which machine)."""
    from parity import roles

    pool = _pool(plan)
    pair = roles.first_selected(session)
    pg, rd = session.registry.get(pair.incumbent), session.registry.get(pair.candidate)
    where = {b.name: (f"{endpoints[b.family].provider}, same machine" if b.family in endpoints else "in process")
             for b in (pg, rd)}
    return {"primary": f"{pg.name} ({where[pg.name]}), {flavour} saver, pool max {pool['max_size']}",
            "candidate": f"{rd.name} ({where[rd.name]}), sync saver on the shadow's "
                         "one worker thread (sidecar arms: in the shadow's sidecar process at its lowest CPU priority, "
                         "SCHED_IDLE on Linux)",
            "callers": "threads" if flavour == "sync" else "asyncio tasks on one event loop",
            "cores": os.cpu_count(), "queue_size": plan.queue_size,
            "step": "put (1KB state, mirrored) then get_tuple latest (sampled at the arm's fraction)",
            "settle": "after each arm's turn the shadow's queue is drained, untimed, so its backlog never runs "
                      "inside another arm's timing (work still queued at the end of a turn is not charged)"}


async def measure(session, flavour: str, loop: str | None, endpoints: dict[str, Any], plan: CostPlan,
                  add: Callable[[dict], None]) -> list[dict]:
    """Open the primary (the first selected pair's incumbent, parity.roles: Postgres by default) once and one candidate
    (its candidate: Redis) per shadow arm; time every level; rows via add."""
    import contextlib

    from parity.backends.backend import SaverContext
    from parity.shadow import ShadowSaver

    from parity import roles

    pair = roles.first_selected(session)
    pg, rd = session.registry.get(pair.incumbent), session.registry.get(pair.candidate)
    p_ep, c_ep = endpoints.get(pg.family), endpoints.get(rd.family)  # by family (None: a serverless saver)
    fractions = FRACTIONS
    base_layout = layout(session, endpoints, plan, flavour)
    rows: list[dict] = []
    async with contextlib.AsyncExitStack() as stack:
        pctx = SaverContext(p_ep, session.new_scope(), {"pool": _pool(plan)})
        cm = pg.saver(flavour, pctx)
        primary = await stack.enter_async_context(cm) if flavour == "async" else stack.enter_context(cm)
        shadows = {}
        for arm, fraction in fractions.items():
            if arm in IN_MEMORY:
                from langgraph.checkpoint.memory import InMemorySaver

                candidate = InMemorySaver if ISOLATION.get(arm) == "process" else InMemorySaver()
            elif ISOLATION.get(arm) == "process":
                candidate = functools.partial(builtin_candidate, rd.name, rd.family, c_ep.url if c_ep else None,
                                              session.new_scope())
            else:
                candidate = stack.enter_context(rd.saver("sync", SaverContext(c_ep, session.new_scope())))
            shadows[arm] = ShadowSaver(primary, candidate, read_fraction=fraction, seed=19,
                                       queue_size=plan.queue_size, isolation=ISOLATION.get(arm, "thread"))
            # each level ends drained (settle), so a normal close is instant; after an error or Ctrl-C a backlog of
            # thousands of items must not hold the run for close()'s default 10 s per shadow
            stack.callback(shadows[arm].close, 2.0)
        arms = arms_for(primary, shadows)

        drained: dict[str, float] = {}
        behind: dict[str, float] = {}  # per arm, the most a turn's backlog took to drain beyond the allowance
        warmed: set[str] = set()  # each level's first turn per arm is its untimed warm-up (new threads, caches)
        last = time.perf_counter()  # when the previous turn ended: a turn's time is from there to its settle

        def settle(arm: str) -> None:
            nonlocal last
            t0 = time.perf_counter()
            if arm in shadows:  # how long the backlog took to drain says whether the worker kept up
                shadows[arm].flush(60)
                took = time.perf_counter() - t0
                drained[arm] = drained.get(arm, 0.0) + took
                if arm in warmed:
                    behind[arm] = max(behind.get(arm, 0.0), took - kept_up_allowance(t0 - last))
            warmed.add(arm)
            last = time.perf_counter()
        state = ops.payload(ops.KB)
        for workers in plan.levels:
            before = load()
            drained.clear()
            behind.clear()
            warmed.clear()
            last = time.perf_counter()
            tag = session.new_scope()
            if flavour == "async":
                samples = await run_async(arms, plan, workers, state, tag, settle)
            else:
                samples = run_sync(arms, plan, workers, state, tag, settle)
            base = {"flavour": flavour, "loop": loop, "concurrency": workers, "family": pg.family,
                    "primary": pg.name, "candidate": rd.name,
                    "load_before": before, "load_after": load(), "layout": base_layout,
                    "plan": {"rounds": plan.rounds, "steps_per_round": plan.steps, "per_worker": plan.per_worker(workers)}}
            for row in rows_for(samples, fractions, base):
                row["shadow_counts"] = shadows[row["arm"]].summary()["counts"]  # cumulative up to this level
                row["drain_s"] = round(drained.get(row["arm"], 0.0), 3)  # untimed waits after this level's turns
                fell_behind(row, behind.get(row["arm"], 0.0))
                add(row)
                rows.append(row)
    return rows
