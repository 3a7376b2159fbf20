"""The shadow's cost and fault studies: their verdict logic, row shapes, and on real servers the part that must hold."""

from __future__ import annotations

import asyncio
import threading

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from parity.backends.registry import default_registry
from parity.injecting import shadow_faults
from parity.measuring import ops, shadow_cost
from parity.shadow import ShadowSaver


@pytest.mark.parametrize("ci, target, want", [
    ((0.01, 0.04), 0.05, "met"), ((0.06, 0.09), 0.05, "not met"), ((0.02, 0.08), 0.05, "undecided"),
    ((0.0, 0.3), None, "no target")])
def test_verdict_comes_from_the_whole_ci(ci, target, want):
    assert shadow_cost.verdict(ci, target).startswith(want), (ci, target, shadow_cost.verdict(ci, target))


def _rounds(values, k=4):
    return [values[i::k] for i in range(k)]


def test_compare_reports_ratios_ci_and_target():
    bare = _rounds([1_000_000 + 1000 * i for i in range(200)])  # ns: 1.0 .. 1.2 ms, in 4 rounds
    slower = [[int(x * 1.5) for x in r] for r in bare]
    row = shadow_cost.compare(bare, slower, 1.0)
    assert row["p50_ratio"] == pytest.approx(1.5, rel=1e-6), row
    assert row["p50_ci_low"] <= 1.5 <= row["p50_ci_high"], row
    assert row["p50_target_added"] == 0.15 and row["p50_verdict"] == "not met", row
    same = shadow_cost.compare(bare, [list(r) for r in bare], 0.01)
    assert same["p50_ratio"] == 1.0 and same["p50_verdict"] == "met", same
    assert row["rounds"] == 4 and row["n"] == 200, row


def test_a_cost_that_differs_from_round_to_round_is_not_decided_from_its_many_calls():
    """64 callers: 128 calls a round, and each round's conditions move them together. Two rounds at +0% and two at
    +20% are four units, not 512 calls: the CI must span the target, where resampling single calls decides."""
    bare = [[1_000_000 + 37 * i for i in range(128)] for _ in range(4)]
    shadow = [[int(x * f) for x in r] for r, f in zip(bare, (1.0, 1.2, 1.0, 1.2))]
    row = shadow_cost.compare(bare, shadow, 0.01)
    assert row["p50_verdict"].startswith("undecided"), row
    assert row["p50_ci_low"] <= 1.0 + 1e-6 and row["p50_ci_high"] >= 1.2 - 1e-6, row
    from parity import stats

    flat = stats.bootstrap_ratio_ci([x for r in shadow for x in r], [x for r in bare for x in r], n_resamples=500)
    assert flat[2] - flat[1] < row["p50_ci_high"] - row["p50_ci_low"], "single calls resampled look surer than they are"


class _Bare(InMemorySaver):
    """A primary with no server: the row shapes are what is tested here, not the figures."""


def test_levels_give_a_row_per_arm_and_op():
    primary = _Bare()
    plan = shadow_cost.CostPlan(levels=(1, 4), rounds=2, steps=8)
    with ShadowSaver(primary, InMemorySaver(), read_fraction=0.01) as one, \
            ShadowSaver(primary, InMemorySaver(), read_fraction=1.0) as every:
        arms = shadow_cost.arms_for(primary, {"shadow 1%": one, "shadow 100%": every})
        settled = []
        rows = []
        for workers in plan.levels:
            samples = shadow_cost.run_sync(arms, plan, workers, ops.payload(ops.KB), "t", settled.append)
            assert {len(samples[a]["put"]) for a in arms} == {plan.rounds}, "one list of samples per round"
            assert {sum(map(len, samples[a]["put"])) for a in arms} == {plan.rounds * workers * plan.per_worker(workers)}
            rows += shadow_cost.rows_for(samples, {"shadow 1%": 0.01, "shadow 100%": 1.0}, {"concurrency": workers})
        assert every.flush(10) and every.summary()["counts"].get("reads_compared", 0) > 0
        assert every.divergences == [], every.divergences[:1]
    assert len(rows) == 2 * 2 * 3 and {r["op"] for r in rows} == {"put", "get_tuple", "step"}
    assert settled.count("bare") == 2 * (1 + plan.rounds), settled  # warm-up turn + one turn per round


def test_async_levels_run_on_one_loop():
    primary = _Bare()
    plan = shadow_cost.CostPlan(levels=(4,), rounds=2, steps=8)
    with ShadowSaver(primary, InMemorySaver(), read_fraction=1.0) as every:
        arms = shadow_cost.arms_for(primary, {"shadow 100%": every})
        samples = asyncio.run(shadow_cost.run_async(arms, plan, 4, ops.payload(ops.KB), "t", lambda arm: None))
    assert sum(map(len, samples["shadow 100%"]["get_tuple"])) == plan.rounds * 4 * plan.per_worker(4)


class _Stalled(InMemorySaver):
    def __init__(self, release: threading.Event) -> None:
        super().__init__()
        self.release = release

    def put(self, *a, **k):
        self.release.wait(20)
        return super().put(*a, **k)


def test_async_app_loop_runs_while_the_candidate_is_stalled():
    """aput only enqueues: with the candidate stalled, every aput returns and other tasks on the loop keep running."""
    release = threading.Event()
    shadow = ShadowSaver(InMemorySaver(), _Stalled(release), read_fraction=1.0, queue_size=8)

    async def app():
        ticks = []

        async def ticker():
            while True:
                ticks.append(1)
                await asyncio.sleep(0)
        task = asyncio.create_task(ticker())
        thread = ops.Thread("stalled")
        for _ in range(30):
            await shadow.aput(*thread.next_put(shadow, ops.payload(ops.KB)))
            await asyncio.sleep(0)
        task.cancel()
        return len(ticks)
    try:
        ticks = asyncio.run(asyncio.wait_for(app(), 15))
        stalled_still = not release.is_set()
    finally:
        release.set()
        summary = shadow.close()
    assert stalled_still and ticks >= 30, f"the loop did not run other tasks while the candidate stalled ({ticks} ticks)"
    assert summary["counts"]["dropped_queue_full"] > 0, summary["counts"]


def test_async_saver_as_candidate_is_refused():
    class LoopBound(InMemorySaver):
        loop = None  # as AsyncRedisSaver / AsyncPostgresSaver: sync calls are bridged onto this loop

    with pytest.raises(ValueError, match="sync counterpart"):
        ShadowSaver(InMemorySaver(), LoopBound())


@pytest.fixture(scope="module")
def servers():
    from parity.families.redis.server import EmbeddedRedis
    from parity.families.postgres.server import EmbeddedPostgres
    from parity.servers.embedded import TempRoot

    root = TempRoot()
    started = []
    try:
        for cls in (EmbeddedPostgres, EmbeddedRedis):
            started.append(cls(root))
            started[-1].start()
        yield started
    finally:
        for server in started:
            server.close()
        root.remove()


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_candidate_stall_and_kill_never_reach_the_app(servers, flavour):
    """The fault study, short: zero app errors, drops counted, threads unreliable, no false divergence."""
    primary, candidate = servers
    plan = shadow_faults.FaultPlan(phase_s=0.4, fault_s=1.0, workers=4, steps=3, queue_size=50)
    registry = default_registry()
    rows, verdict = shadow_faults.on_servers(registry.get("postgres"), registry.get("redis"), primary.endpoint(),
                                             candidate, flavour, plan)
    assert [r["phase"] for r in rows] == [p for p, _ in shadow_faults.PHASES]
    assert shadow_faults.failures(verdict) == [], verdict
    assert candidate.alive(), "the candidate server was not restarted after the kill"
    assert all("p99_ratio" in r["ops"]["put"] for r in rows), [r["ops"] for r in rows]


def test_report_shows_cost_targets_verdicts_and_fault_phases():
    from parity import results, results_schema
    from parity.render.html import render_html
    from parity.render.markdown import render_markdown

    bare = _rounds([1_000_000 + 1000 * i for i in range(100)])
    doc = results.new_document()
    doc["shadow_cost"] = [{"flavour": "sync", "concurrency": 16, "op": "put", "arm": "shadow 1%",
                           "load_before": {"1m": 0.5}, "layout": {"primary": "postgres (embedded)"},
                           **shadow_cost.compare(bare, [[int(x * 1.3) for x in r] for r in bare], 0.01)}]
    doc["shadow_faults"] = [{"phase": "stalled", "fault": "SIGSTOP", "flavour": "sync", "app_errors": {"bare": 0, "shadow": 0},
                             "counts_delta": {"dropped_queue_full": 7}, "unreliable_threads": 2, "queue_depth_at_end": 50,
                             "ops": {"put": shadow_faults._ratios(_rounds([1.0] * 50), _rounds([1.1] * 50), 1.0)}},
                            {"phase": "verdict", "flavour": "sync", "app_errors_shadowed": 0, "app_errors_bare": 0,
                             "dropped": 7, "unreliable_threads": 2, "divergences": 0}]
    results_schema.validate(doc)
    md = render_markdown(doc)
    assert "shadow 1%: not met 1" in md and "< +5%" in md and "1.300×" in md, md[-1500:]
    assert "7 mirrored writes dropped and counted" in md, md[-800:]
    html = render_html(doc)
    assert 'id="shadow-cost"' in html and "SIGSTOP" in html and "postgres (embedded)" in html


def test_demo_recording_fills_the_shadow_and_replay_sections(servers, tmp_path):
    """make report's demo, two conversations: the sections have real counts and the replay read what the shadow left."""
    from parity.shadow import demo
    from parity.workloads.demo import sales_email

    primary, candidate = servers
    shadow, replay, took = demo.run_demo(default_registry(), primary.endpoint(), candidate.endpoint(), "demotest",
                                        sales_email, tmp_path, threads=2)
    assert shadow["recordings"] == 1 and shadow["counts"]["reads_compared"] > 0, shadow["counts"]
    assert shadow["counts"]["mirrored_applied"] == shadow["counts"]["mirrored_queued"], shadow["counts"]
    assert replay["threads"]["available"] >= 2 and replay["targets"][0]["backend"] == "redis", replay["threads"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shadow-0001.jsonl"]
    assert took["shadow_s"] > 0 and took["replay_s"] > 0


def test_with_several_callers_only_the_whole_step_is_judged():
    """At 16 callers a get_tuple came out 6x faster through the shadow than bare: the GIL wait had landed in put.
    Such per-op splits must not count as a target met; the step (put + get_tuple) is judged."""
    bare = {"put": _rounds([100_000] * 50), "get_tuple": _rounds([600_000] * 50), "step": _rounds([700_000] * 50)}
    shadow = {"put": _rounds([700_000] * 50), "get_tuple": _rounds([100_000] * 50), "step": _rounds([800_000] * 50)}
    samples = {"bare": bare, "shadow 1%": shadow}
    many = {r["op"]: r for r in shadow_cost.rows_for(samples, {"shadow 1%": 0.01}, {"concurrency": 16})}
    assert many["get_tuple"]["p50_verdict"].startswith("no target") and many["put"]["p50_target_added"] is None
    assert many["step"]["p50_verdict"] == "not met" and many["step"]["p50_target_added"] == 0.05
    one = {r["op"]: r for r in shadow_cost.rows_for(samples, {"shadow 1%": 0.01}, {"concurrency": 1})}
    assert one["get_tuple"]["p50_verdict"] == "met", "one caller: each op's own time is its own"


def test_a_mirror_that_fell_behind_has_not_met_its_target():
    """Work left at the end of a turn is done while settling, untimed: a row that looks met is undecided then,
    one not met stays not met, and a mirror that kept up keeps its verdict."""
    bare = _rounds([1_000_000 + 1000 * i for i in range(200)])
    met = shadow_cost.compare(bare, [list(r) for r in bare], 0.01)
    assert met["p50_verdict"] == "met"
    kept = dict(met)
    shadow_cost.fell_behind(kept, -0.01)
    assert kept["p50_verdict"] == "met" and kept["fell_behind_s"] == 0.0
    behind = dict(met)
    shadow_cost.fell_behind(behind, 0.4)
    assert behind["p50_verdict"].startswith("undecided: the mirror fell behind") and behind["fell_behind_s"] == 0.4
    worse = shadow_cost.compare(bare, [[x * 2 for x in r] for r in bare], 0.01)
    shadow_cost.fell_behind(worse, 0.4)
    assert worse["p50_verdict"] == "not met"
    assert shadow_cost.kept_up_allowance(1.0) == pytest.approx(2 * shadow_cost.BATCH_S + 0.1)
