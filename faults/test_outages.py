"""Outages: server stopped mid-run, stalled network; the error, time to fail, recovery, thread left behind."""

from __future__ import annotations

import pytest

from parity import families
from parity.backends.capabilities import Capability
from parity.families import Lever
from parity.injecting import outages, provisioning
from parity.injecting.provisioning import PERSISTENT
from parity.reasons import not_applicable


@pytest.mark.fault_on(("candidate", "incumbent"), Capability.FULL_HISTORY)
def test_server_stopped_mid_run(parity_session, owned_server, fault_backend):
    """Contract: the graph fails fast with a connection error and no thread is left with dangling parents."""
    backend, family = fault_backend, fault_backend.family
    row = outages.server_stopped_mid_run(owned_server(family, provisioning.settings(PERSISTENT, family)), backend)
    parity_session.add("outages", row)
    assert row["error_type"] is not None, f"expected an error when the server stops, got {row['observed']}"
    assert row["seconds_to_fail"] < 10, f"expected failure within 10 s, got {row['seconds_to_fail']} s"
    assert row["thread_after_restart"]["dangling_parents"] == 0, f"dangling parents: {row['thread_after_restart']}"


@pytest.mark.fault_on(("candidate", "incumbent"), Capability.FULL_HISTORY, levers=(Lever.POOLED_SAVER,))
def test_server_stopped_mid_run_postgres_pool(parity_session, owned_server, fault_backend):
    """Contract: a saver on a pool that checks its connections (the guide's PostgresSaver on a ConnectionPool) works
    again once the server is back."""
    backend, family = fault_backend, families.get(fault_backend.family)
    server = owned_server(family.name)
    row = outages.server_stopped_mid_run(server, backend, lambda scope: family.pooled_saver(server.url, scope),
                                         label=family.pooled_what)
    parity_session.add("outages", row)
    assert row["same_saver_recovers"] is True, f"expected the pooled saver to recover, got {row['same_saver_recovers']}"


@pytest.mark.fault_on(("candidate", "incumbent"), Capability.FULL_HISTORY)
def test_stalled_network(parity_session, owned_server, fault_backend):
    """Contract: where the driver has a client read timeout, a stalled link fails within STALL_FACTOR x that timeout.

    Both families' rows (library defaults, then the timeouts their driver offers) are recorded either way.
    """
    from parity.netproxy import DelayProxy

    backend, family = fault_backend, fault_backend.family
    client = outages.CLIENT_TIMEOUTS[family]
    server = owned_server(family, provisioning.settings(PERSISTENT, family))
    row = outages.stalled_network(server, backend, DelayProxy, client.query)
    parity_session.add("outages", row)
    if not client.read_timeout:
        not_applicable("study", family, client.why_not)
    bound = outages.STALL_FACTOR * outages.CLIENT_TIMEOUT_S
    got = row["with timeout"]
    assert got["outcome"] == "error" and got["seconds_to_fail"] <= bound, \
        f"expected an error within {bound:g} s ({client.driver}, {client.query}), got {got}"


@pytest.mark.fault_on(("candidate", "incumbent"), Capability.FULL_HISTORY, Capability.ASYNC)
async def test_stalled_network_async_timeout(parity_session, owned_server, fault_backend):
    """Contract: an application-level asyncio timeout bounds a stalled call on either backend."""
    from parity.netproxy import DelayProxy

    backend, family = fault_backend, fault_backend.family
    row = await outages.stalled_network_async_timeout(owned_server(family, provisioning.settings(PERSISTENT, family)), backend, DelayProxy)
    parity_session.add("outages", row)
    assert row["seconds_to_fail"] < outages.CLIENT_TIMEOUT_S + 3, f"expected ~{outages.CLIENT_TIMEOUT_S} s, got {row}"
