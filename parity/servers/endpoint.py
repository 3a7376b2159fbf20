"""The endpoint every provider yields: what a saver factory needs to reach a server."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlsplit, urlunsplit



@dataclass
class Endpoint:
    family: str  # a server family's name (parity.families)
    url: str
    provider: str  # "embedded" | "testcontainers" | "external"
    owned: bool  # True when the suite started the server: only then may faults touch it
    settings: dict[str, Any] = field(default_factory=dict)
    pid: int | None = None
    data_dir: str | None = None
    # Provider-specific controls for fault tests on owned servers (kill, restart, reconfigure).
    control: Any = None
    probe: dict[str, Any] | None = None  # what the preflight saw: version, modules, settings, rtt

    @property
    def masked_url(self) -> str:
        return mask_url(self.url)

    def describe(self) -> dict[str, Any]:
        return {"family": self.family, "provider": self.provider, "url": self.masked_url,
                "version": (self.probe or {}).get("version"),
                "owned": self.owned, "settings": dict(self.settings), "probe": self.probe}


def mask_url(url: str) -> str:
    """Hide the password of a URL so it can be printed and stored."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


Cleanup = Callable[[], None]
