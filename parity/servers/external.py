"""External provider: the user's own REDIS_URL / POSTGRES_URL, never touched outside the run's scope."""

from __future__ import annotations

from parity.servers.endpoint import Endpoint


def endpoint(family: str, url: str) -> Endpoint:
    # owned=False: fault tests and server reconfiguration are refused on servers the suite did not start.
    return Endpoint(family, url, "external", owned=False)
