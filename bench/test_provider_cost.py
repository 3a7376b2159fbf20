"""What a container adds: bare round trips to the run's container servers against embedded ones, interleaved."""

from __future__ import annotations

import contextlib

import pytest

from parity import stats
from parity.measuring import floors, timing
from parity.measuring.latency import progress
from parity.reasons import not_applicable
from parity.servers.readiness import ServerStartError


async def _interleaved(pairs: dict[str, object], plan) -> dict[str, list[int]]:
    async with contextlib.AsyncExitStack() as stack:
        arms = {name: await stack.enter_async_context(floors.round_trip(ep, "sync")) for name, ep in pairs.items()}
        return await timing.interleave(arms, plan, False)


@pytest.mark.parity_claim("C3")
def test_container_cost_against_embedded(bench, parity_session):
    """Same family, same client, same moment: the container's round trip over an embedded server's.

    Only in runs whose servers are containers: the container layer (namespaces, and with bridge networking the
    port mapping) is what every container figure carries on top of an embedded one.
    """
    endpoints = bench.endpoints("defaults")
    containers = {f: ep for f, ep in sorted(endpoints.items()) if ep.provider == "testcontainers"}
    if not containers:
        not_applicable("selection", "provider", "this run's servers are not containers (--provider testcontainers "
                       "measures what a container adds)")
    for family, container_ep in containers.items():
        try:
            embedded = bench.session.pool.start_embedded(family)
        except ServerStartError as exc:
            not_applicable("server", family, f"no embedded {family} to compare with: {exc}")
        try:
            samples = bench.run("sync", None, _interleaved,
                                {"container": container_ep, "embedded": embedded.endpoint()}, bench.profile.plan)
        finally:
            bench.session.pool.release(embedded)
        c, e = (timing.describe(samples[k], ci=False) for k in ("container", "embedded"))
        ratio, low, high = stats.bootstrap_ratio_ci(timing.to_ms(samples["container"]), timing.to_ms(samples["embedded"]))
        network = container_ep.control.options.network if container_ep.control is not None else None
        row = {"family": family, "what": floors.what(family), "flavour": "sync", "network": network,
               "provider": "testcontainers vs embedded", "container_p50_ms": c["p50_ms"],
               "embedded_p50_ms": e["p50_ms"], "container_p99_ms": c["p99_ms"], "embedded_p99_ms": e["p99_ms"],
               "n": c["n"], "ratio": ratio, "ci_low": low, "ci_high": high}
        bench.session.add("provider_cost", row)
        progress(f"container cost {family} ({network} network): p50 {c['p50_ms'] * 1000:.0f} us vs embedded "
                 f"{e['p50_ms'] * 1000:.0f} us, ratio {ratio:.2f} [{low:.2f}, {high:.2f}]")
