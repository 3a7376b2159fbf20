"""The interleaved timing loop sees a deliberately slowed saver as slower (the ratio CI excludes 1)."""

from __future__ import annotations

import asyncio
import time

from langgraph.checkpoint.memory import InMemorySaver

from parity import stats
from parity.measuring import ops, timing
from parity.measuring.runner import run_sync


class SlowSaver(InMemorySaver):
    """InMemorySaver whose put sleeps ~1 ms, as a slower storage would."""

    def put(self, *args, **kw):
        time.sleep(0.001)
        return super().put(*args, **kw)

    async def aput(self, *args, **kw):
        await asyncio.sleep(0.001)
        return await super().aput(*args, **kw)


async def _arms(flavour: str) -> dict:
    arms = {}
    for name, saver in (("slow", SlowSaver()), ("fast", InMemorySaver())):
        arms[name] = await ops.prepare(ops.Op("put", "1KB"), ops.SaverCalls(saver, flavour), name, 0, 1)
    return arms


def _ratio(samples: dict) -> tuple[float, float, float]:
    return stats.bootstrap_ratio_ci(timing.to_ms(samples["slow"]), timing.to_ms(samples["fast"]), n_resamples=500)


def test_slowed_saver_is_slower_sync():
    plan = timing.Plan(rounds=6, per_round=5, warmup=3)
    samples = timing.interleave_sync(run_sync(_arms("sync")), plan)
    assert all(len(v) == plan.n for v in samples.values())
    point, low, high = _ratio(samples)
    assert low > 1.0, f"expected the slowed saver's put slower (CI above 1), got {point:.2f} [{low:.2f}, {high:.2f}]"


def test_slowed_saver_is_slower_async():
    async def go():
        return await timing.interleave_async(await _arms("async"), timing.Plan(rounds=6, per_round=5, warmup=3))
    point, low, high = _ratio(asyncio.run(go()))
    assert low > 1.0, f"expected the slowed saver's aput slower (CI above 1), got {point:.2f} [{low:.2f}, {high:.2f}]"


def test_same_saver_twice_gives_a_ratio_near_1():
    # Two identical arms: a timing loop with an order bias would show a ratio away from 1.
    async def arms():
        out = {}
        for name in ("a", "b"):
            out[name] = await ops.prepare(ops.Op("get_tuple_latest", "1KB", kind="read"),
                                          ops.SaverCalls(InMemorySaver(), "sync"), name, 0, 5)
        return out
    ops.reset_shared()
    samples = timing.interleave_sync(run_sync(arms()), timing.Plan(rounds=20, per_round=10, warmup=20))
    point, low, high = stats.bootstrap_ratio_ci(timing.to_ms(samples["a"]), timing.to_ms(samples["b"]), n_resamples=500)
    # 0.7..1.4: in-memory reads of ~10 us jitter a lot on a shared 2-core machine; an order bias would be larger.
    assert 0.7 < point < 1.4, f"expected a ratio near 1 for identical arms, got {point:.2f} [{low:.2f}, {high:.2f}]"


def test_warm_up_drops_a_failing_arm_and_reports_it():
    def boom(i):
        raise NotImplementedError("no delete here")
    arms = {"ok": lambda i: None, "bad": boom}
    errors = run_sync(timing.warm_up(arms, 2, False))
    assert list(arms) == ["ok"] and "NotImplementedError" in errors["bad"], (arms, errors)


def test_rounds_rotate_who_goes_first():
    assert timing._orders(["a", "b", "c"], 3) == [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]]
