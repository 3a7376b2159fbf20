"""Fault tests: each starts its own servers from the session's provider (never the session's or an external one)."""

from __future__ import annotations

import pytest

from parity.backends.capabilities import Capability
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
    """The first selected backend of a family that has the capabilities, or a not-applicable skip."""

    def pick(family: str, *caps: Capability):
        for backend in parity_session.backends:
            if backend.family == family and backend.has(Capability.SYNC, Capability.SERVER, *caps):
                return backend
        needed = ", ".join(c.value for c in (Capability.SYNC, Capability.SERVER, *caps))
        not_applicable("selection", family, f"no selected {family} backend with {needed}")

    return pick


def pytest_collection_modifyitems(config, items) -> None:
    """Faults run whole: never split across shards (--shard) or processes (-n); see parity/shard.py."""
    from pathlib import Path

    from parity.shard import mark_whole

    mark_whole(items, Path(__file__).parent, "faults")
