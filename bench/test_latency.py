"""Latency of each saver operation, backends interleaved round by round; Postgres÷Redis ratios (C1, C2, C3)."""

from __future__ import annotations

import pytest

from parity.measuring import latency, noise, ops, placement, repeatability
from parity.measuring.latency import Conditions
from parity.reasons import not_applicable

PAIRED_OPS = [op for op in ops.CORE_OPS if op.kind in ("write", "read")]
QUICK_PAIRED = [ops.Op("put", "1KB"), ops.Op("get_tuple_latest", "1KB", kind="read")]


def _conditions(bench, pairing: str, flavour: str, loop: str | None, plan) -> Conditions:
    return Conditions(pairing, flavour, loop, bench.endpoints(pairing), plan, bench.profile.history)


@pytest.mark.parity_claim("C1")
def test_core_ops_defaults(bench, flavour_loop):
    """Every core op on every backend with the capability, server defaults, in the headline CPU layout (client and
    servers pinned to separate CPUs where the suite may pin); the headline ops again profile.repeats times, so the
    run states its own repeat figure; floors, the disk's fsync and the machine's noise in the same window."""
    flavour, loop = flavour_loop
    cond = _conditions(bench, "defaults", flavour, loop, bench.profile.plan)
    backends = latency.pick_backends(bench.session, cond)

    async def go():
        await latency.run_floors(bench.session, cond)
        # Every repeat the same cell: the headline ops alone, in fresh scopes; the other core ops after all of them.
        # Interleaved with the first repeat's headline ops, they made it a different procedure (its list_10 followed
        # put[100KB] on one schema); right after them, they slowed the next repeat: in two standard runs the sync
        # cell's second repeat had Postgres put +15% (SQLite's +14%, Redis's not) and list_10 +39%, as Postgres
        # still wrote out put[100KB]'s buffers (os.sync() before each window flushes the OS's, not Postgres's).
        for k in range(1, bench.profile.repeats + 1):
            cond.repeat, cond.tag = k, f"r{k}"
            await latency.run_cell(bench.session, cond, ops.HEADLINE_OPS, backends)
        cond.repeat, cond.tag = 1, "rest"
        await latency.run_cell(bench.session, cond, [op for op in ops.CORE_OPS if op not in ops.HEADLINE_OPS], backends)
    window = noise.Window(f"headline {flavour}/{loop or '-'}", bench.server_pids).start()
    with placement.headline(list(cond.endpoints.values())) as layout:
        cond.layout, cond.retime = layout["layout"], bool(layout.get("pinned"))
        bench.run(flavour, loop, go)
        if flavour == "sync":  # process-to-process variance is the machine's and the interpreter's, not a flavour's
            _in_workers(bench, cond, backends)
    bench.session.add("floors", {**noise.fsync_floor(), "flavour": flavour, "loop": loop, "layout": cond.layout})
    bench.session.add("noise", {**window.stop(), **layout, "flavour": flavour, "loop": loop})
    assert cond.rows, f"no measurement rows for {flavour}/{loop}: expected one per backend and op"


@pytest.mark.parity_claim("C1")
@pytest.mark.parametrize("pairing", [p for p in latency.PAIRINGS if p != "defaults"])
def test_durability_pairs(bench, flavour_loop, pairing):
    """Writes and reads under matched durability: aof-always vs sync-commit-on, aof-everysec vs sync-commit-off."""
    flavour, loop = flavour_loop
    default_loop = next((lp.name for lp in bench.session.loops if lp.applicable), None)
    if flavour == "async" and loop != default_loop:
        not_applicable("profile", "loop", f"durability pairs run async under the default loop ({default_loop}) only, for time")
    if bench.profile.name == "quick" and flavour == "async":
        not_applicable("profile", "flavour", "the quick profile runs durability pairs in the sync flavour only")
    op_list = QUICK_PAIRED if bench.profile.name == "quick" else PAIRED_OPS
    cond = _conditions(bench, pairing, flavour, loop, bench.profile.pairing_plan)
    backends = [b for b in latency.pick_backends(bench.session, cond, include_serverless=False)]

    async def go():
        await latency.run_floors(bench.session, cond)
        await latency.run_cell(bench.session, cond, op_list, backends)
    bench.run(flavour, loop, go)
    assert cond.rows, f"no measurement rows for {pairing} {flavour}/{loop}"


def _in_workers(bench, cond: Conditions, backends: list) -> None:
    """The headline ratios again in fresh worker processes (parity.measuring.workers): one `noise` row per ratio
    with its median in this process and in each worker, and their spread."""
    from parity.measuring import workers

    pairs = latency.ratio_pairs(backends, latency.pairs_of(bench.session))
    members = [b for b in backends if any(b in pair for pair in pairs)]
    if not members or bench.profile.workers < 1:
        return
    heads = [(op.name, op.payload) for op in ops.HEADLINE_OPS]
    first = {(r["op"], r["numerator"], r["denominator"]): r["median"] for r in bench.session.doc.get("ratios", [])
             if r.get("repeat") == 1 and r.get("flavour") == "sync" and r.get("pairing") == "defaults"
             and r.get("layout") == cond.layout and (r["op"], r["payload"]) in heads}
    per_worker, errors = [], []
    for k in range(1, bench.profile.workers + 1):
        try:
            per_worker.append({(r["op"], r["numerator"], r["denominator"]): r["median"]
                               for r in workers.spawn(bench.session, cond, members, heads, k)})
        except Exception as exc:  # a worker that could not run is reported as such, never as a figure
            errors.append(str(exc))
    lines = []
    for key, median in sorted(first.items()):
        meds = [median] + [w[key] for w in per_worker if key in w]
        if len(meds) < 2:
            continue
        op, numer, denom = key
        spread = repeatability.spread(meds)
        bench.session.add("noise", {"kind": "processes", "what": f"{op}[1KB] sync {numer}÷{denom} in fresh processes",
                                    "seconds": 0.0, "op": op, "payload": "1KB", "flavour": "sync", "numerator": numer,
                                    "denominator": denom, "layout": cond.layout, "medians": [round(m, 4) for m in meds],
                                    "spread": round(spread, 4)})
        lines.append(f"{op} {numer}/{denom} " + " ".join(f"{m:.2f}" for m in meds) + f" ({spread:.0%})")
    if errors:
        bench.session.add("noise", {"kind": "processes", "what": "worker processes", "seconds": 0.0, "errors": errors})
    latency.progress("this process, then fresh worker processes: " + ("; ".join(lines) or "no ratio")
                     + (f" | {len(errors)} worker(s) failed: {errors[0]}" if errors else ""))
