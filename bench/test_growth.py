"""How cost grows with history, thread count and state size; throughput and errors under concurrency (C6, C13)."""

from __future__ import annotations

import pytest

from parity.backends.capabilities import Capability as C
from parity.measuring import concurrency, growth, latency
from parity.measuring.latency import Conditions
from parity.reasons import not_applicable

SWEEPS = ["history", "threads", "state_bytes"]


def _server_backends(bench, flavour: str) -> list:
    return [b for b in bench.session.backends if b.has(C.SERVER) and flavour in b.flavours()]


@pytest.mark.parametrize("dimension", SWEEPS)
def test_growth(bench, dimension):
    """Latency as one dimension grows, sync flavour, server defaults, backends interleaved."""
    p = bench.profile
    cond = Conditions("defaults", "sync", None, bench.endpoints("defaults"), p.growth_plan, p.history, tag=dimension)
    backends = _server_backends(bench, "sync")
    if dimension == "history":
        backends = [b for b in backends if b.has(C.FULL_HISTORY)]
        fn, sizes = growth.history, p.history_sizes
    elif dimension == "threads":
        fn, sizes = growth.threads, p.thread_counts
    else:
        fn, sizes = growth.state_size, p.state_sizes
    if not backends:
        not_applicable("selection", "backends", f"no selected server backend for the {dimension} sweep")
    bench.run("sync", None, fn, bench.session, cond, backends, sizes)
    assert any(r["dimension"] == dimension for r in bench.session.doc["growth"])


@pytest.mark.parity_claim("C6")
@pytest.mark.parametrize("arm", list(concurrency.POOL_ARMS))
@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_concurrency(bench, flavour, arm):
    """Throughput, p99 and errors at 1..64 workers, each backend with its default pool and a tuned one."""
    loop = next((lp.name for lp in bench.session.loops if lp.applicable), None) if flavour == "async" else None
    backends = [b for b in _server_backends(bench, flavour) if b.has(C.FULL_HISTORY)]
    if arm == "tuned":
        backends = [b for b in backends if b.has(C.POOL)]  # a tuned pool needs a factory that honours one
        if not backends:
            not_applicable("capability", "pool", "no selected backend's factory takes a pool option")
    p = bench.profile
    cond = Conditions("defaults", flavour, loop, bench.endpoints("defaults"), p.growth_plan, p.history)

    async def go():
        for b in backends:
            await concurrency.sweep(bench.session, cond, b, arm, p.concurrency, p.concurrency_calls)
    bench.run(flavour, loop, go)
