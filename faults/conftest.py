"""Fault tests: each starts its own servers from the session's provider (never the session's or an external one)."""

from __future__ import annotations

import pytest

from parity.injecting import targets
from parity.reasons import Reason, not_applicable
from parity.servers.readiness import ServerStartError


@pytest.fixture
def owned_server(parity_session):
    """start(family, settings, **kw) -> a started owned server (embedded or a container, as the session's
    provider), stopped and removed when the test ends."""
    started = []

    def start(family: str, settings: dict | None = None, **kw):
        try:
            server = parity_session.pool.start_owned(family, settings, **kw)
        except ServerStartError as exc:
            not_applicable("server", family, f"fault tests need a server the suite owns: {exc}")
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        parity_session.pool.release(server)


@pytest.fixture
def pair_backends(parity_session):
    """pick(incumbent_caps, candidate_caps, candidate_server=False) -> (incumbent, candidate) of the first selected
    pair fit for a two-backend study (parity.injecting.targets.pair_for), or a not-applicable skip with why not."""

    def pick(incumbent_caps=(), candidate_caps=(), candidate_server: bool = False):
        found = targets.pair_for(parity_session.backends, parity_session.pairs, incumbent_caps, candidate_caps,
                                 candidate_server)
        if isinstance(found, Reason):
            not_applicable(found.kind, found.subject, found.text)
        return found

    return pick


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "fault_on(roles, *capabilities, levers=(), lacking=()): the study runs on "
                                       "the first backend of each family among the pairs' candidates and/or "
                                       "incumbents with the capabilities and the family's fault levers (fixture "
                                       "fault_backend); see parity/injecting/targets.py")
    config.addinivalue_line("markers", "parity_timed: the study reports timings, so it never shares the CPU with "
                                       "another part: run beside compat, it starts once compat has ended "
                                       "(parity/cli/side.py)")


def pytest_generate_tests(metafunc) -> None:
    """fault_backend: for each role of the test's fault_on marker, per server family, the first selected backend fit
    for the study, chosen at collection so the item id names it, as a compat cell's does
    (test_server_stopped_mid_run[redis]); a family or role with none is one not-applicable item with the reason."""
    mark = metafunc.definition.get_closest_marker("fault_on")
    if mark is None or "fault_backend" not in metafunc.fixturenames:
        return
    from parity.plugin import get_session

    session = get_session(metafunc.config)
    wanted = (mark.args[0],) if isinstance(mark.args[0], str) else mark.args[0]
    found = targets.for_roles(session.backends, session.pairs, wanted, mark.args[1:], mark.kwargs.get("levers", ()),
                              mark.kwargs.get("lacking", ()))
    metafunc.parametrize("fault_backend", [targets.param(t) for t in found], indirect=True)


@pytest.fixture
def fault_backend(request, parity_session):
    """The backend this item's id names (see pytest_generate_tests)."""
    return next(b for b in parity_session.backends if b.name == request.param)


def pytest_collection_modifyitems(config, items) -> None:
    """Faults run whole: never split across shards (--shard) or processes (-n); see parity/shard.py."""
    from pathlib import Path

    from parity.shard import mark_whole

    mark_whole(items, Path(__file__).parent, "faults")
