"""Fault tests: each starts its own servers from the session's provider (never the session's or an external one)."""

from __future__ import annotations

import pytest

from parity.backends.capabilities import Capability
from parity.injecting.common import first_backend
from parity.servers.readiness import ServerStartError
from parity.reasons import not_applicable

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
def pick_backend(parity_session):
    """The first selected backend of a family that has the capabilities, or a not-applicable skip (for a study that
    needs two backends; one that runs on one backend per family takes `fault_backend`)."""

    def pick(family: str, *caps: Capability):
        backend, why_not = first_backend(parity_session.backends, family, caps)
        if backend is None:
            not_applicable("selection", family, why_not)
        return backend

    return pick


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "fault_on(families, *capabilities): the study runs on the first selected "
                                       "backend of each family with the capabilities (fixture fault_backend)")


def pytest_generate_tests(metafunc) -> None:
    """fault_backend: for each family of the test's fault_on marker, the first selected backend with the capabilities,
    chosen at collection so the item id names it, as a compat cell's does (test_server_stopped_mid_run[redis]); a
    family with none selected is one not-applicable item with the reason."""
    mark = metafunc.definition.get_closest_marker("fault_on")
    if mark is None or "fault_backend" not in metafunc.fixturenames:
        return
    from parity import reasons
    from parity.plugin import get_session

    backends = get_session(metafunc.config).backends
    wanted = (mark.args[0],) if isinstance(mark.args[0], str) else mark.args[0]
    params = []
    for family in wanted:
        backend, why_not = first_backend(backends, family, mark.args[1:])
        params.append(pytest.param(backend.name, id=backend.name) if backend is not None else
                      pytest.param(None, id=family, marks=[reasons.marker("selection", family, why_not)]))
    metafunc.parametrize("fault_backend", params, indirect=True)


@pytest.fixture
def fault_backend(request, parity_session):
    """The backend this item's id names (see pytest_generate_tests)."""
    return next(b for b in parity_session.backends if b.name == request.param)


def pytest_collection_modifyitems(config, items) -> None:
    """Faults run whole: never split across shards (--shard) or processes (-n); see parity/shard.py."""
    from pathlib import Path

    from parity.shard import mark_whole

    mark_whole(items, Path(__file__).parent, "faults")
