"""Benchmark fixtures: the profile, servers per durability pairing, flavour/loop runners."""

from __future__ import annotations

import pytest

from parity.measuring import latency, profile as profiles
from parity.measuring.runner import Runner
from parity import reasons


@pytest.fixture(scope="session")
def bench_profile(parity_session) -> profiles.Profile:
    return profiles.get(parity_session.options.profile)


@pytest.fixture(scope="session")
def bench(parity_session, bench_profile) -> Runner:
    return Runner(parity_session, bench_profile)


def pytest_generate_tests(metafunc) -> None:
    """flavour_loop: "sync" once, and "async" under every event loop of the platform (others skip with reasons)."""
    if "flavour_loop" not in metafunc.fixturenames:
        return
    from parity.plugin import get_session

    loops = get_session(metafunc.config).loops
    params = [pytest.param(("sync", None), id="sync")]
    for lp in loops:
        marks = [] if lp.applicable else [reasons.marker("platform", lp.name, f"{lp.name}: {lp.reason}")]
        params.append(pytest.param(("async", lp.name), id=f"async-{lp.name}", marks=marks))
    metafunc.parametrize("flavour_loop", params)


@pytest.fixture(scope="session", autouse=True)
def _bench_progress(request):
    """Per-op lines on the terminal while the benchmarks run (output capture would hide plain prints)."""
    tr = request.config.pluginmanager.getplugin("terminalreporter")
    capman = request.config.pluginmanager.getplugin("capturemanager")
    if tr is None or capman is None:
        yield
        return

    from parity.console import bench_log
    from parity.plugin import get_session

    log = bench_log(request.config, get_session(request.config).options.out)

    def sink(line: str) -> None:
        if log is not None:  # the compact console of `parity run`: the figures go to DIR/bench.log
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")
            return
        with capman.global_and_fixture_disabled():
            tr.write_line(line)
    latency._sink = sink
    yield
    latency._sink = None


@pytest.fixture(scope="session", autouse=True)
def _bench_noise(bench):
    """The machine's load and other processes' CPU over the whole benchmark part: one `noise` row."""
    from parity.measuring import noise

    window = noise.Window("all benchmarks", bench.server_pids).start()
    yield
    bench.session.add("noise", window.stop())


def pytest_collection_modifyitems(config, items) -> None:
    """Bench run whole: never split across shards (--shard) or processes (-n); see parity/shard.py."""
    from pathlib import Path

    from parity.shard import mark_whole

    mark_whole(items, Path(__file__).parent, "bench")
