"""Floors measured in the same run: the driver's bare round trip per server family (PING, SELECT 1)."""

from __future__ import annotations

import contextlib

from parity import families
from parity.servers.endpoint import Endpoint


def what(family: str) -> str:
    return f"driver round trip: {families.get(family).ping_what}"


@contextlib.asynccontextmanager
async def round_trip(endpoint: Endpoint, flavour: str):
    """Yield call(i) doing one bare round trip with the family's driver, in the flavour under test."""
    family = families.get(endpoint.family)
    if flavour == "async":
        async with family.async_ping(endpoint.url) as call:
            yield lambda i: call()
    else:
        with family.sync_ping(endpoint.url) as call:
            yield lambda i: call()
