"""Per-op pytest-benchmark tests (sync, server defaults) so --benchmark-save / --benchmark-compare work as usual.

The interleaved comparison in test_latency.py is the source of the ratios; these are single-backend timings.
"""

from __future__ import annotations

import pytest

from parity.backends.backend import SaverContext
from parity.measuring import ops
from parity.measuring.runner import run_sync
from parity.plugin import get_session
from parity.reasons import not_applicable

BENCH_OPS = [op for op in ops.CORE_OPS if op.name != "delete_thread"]


def pytest_generate_tests(metafunc):
    if "bench_backend" in metafunc.fixturenames:
        names = [b.name for b in get_session(metafunc.config).backends if "sync" in b.flavours()]
        metafunc.parametrize("bench_backend", names)


@pytest.mark.parametrize("op", BENCH_OPS, ids=lambda op: f"{op.name}-{op.payload}")
def test_op(benchmark, bench, bench_backend, op):
    """One op of one backend, timed by pytest-benchmark (pedantic: fixed rounds, one warm-up)."""
    backend = bench.session.registry.get(bench_backend)
    if not op.applicable(backend):
        not_applicable("capability", ", ".join(c.value for c in op.needs), f"{backend.name} lacks {', '.join(c.value for c in op.needs)}")
    endpoint = bench.endpoints("defaults").get(backend.family) if backend.family else None
    rounds = bench.profile.benchmark_rounds
    with backend.saver("sync", SaverContext(endpoint, bench.session.new_scope())) as saver:
        ops.reset_shared()
        call = run_sync(ops.prepare(op, ops.SaverCalls(saver, "sync", backend.has(ops.C.FULL_HISTORY)),
                                    f"pb-{op.name}", rounds + 2, bench.profile.history))
        counter = iter(range(10**9))
        benchmark.extra_info.update(backend=backend.name, op=op.name, payload=op.payload, settings="server defaults")
        benchmark.pedantic(lambda: call(next(counter)), rounds=rounds, iterations=1, warmup_rounds=1)
