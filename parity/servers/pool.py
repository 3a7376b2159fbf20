"""Session-scoped servers: chosen provider per family, started lazily, all stopped at the end (also on signals)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from parity.errors import ParityUsageError
from parity.servers import containers, external
from parity import families
from parity.servers.endpoint import Endpoint

PROVIDERS = ("auto", "embedded", "testcontainers", "external")


@dataclass
class ServerConfig:
    provider: str = "auto"
    urls: dict[str, str] = field(default_factory=dict)  # explicit URLs (flags) always win for their family

    @classmethod
    def resolve(cls, provider: str | None, redis_url: str | None, postgres_url: str | None,
                env: dict[str, str] | None = None) -> "ServerConfig":
        env = dict(os.environ) if env is None else env
        chosen = (provider or env.get("PARITY_PROVIDER") or "auto").strip().lower()
        if chosen not in PROVIDERS:
            raise ParityUsageError(f"unknown provider {chosen!r}", f"use one of {', '.join(PROVIDERS)}")
        urls = {f: u for f, u in (("redis", redis_url), ("postgres", postgres_url)) if u}
        if chosen == "external":
            for family in families.names():
                var = families.get(family).url_env
                if family not in urls and env.get(var):
                    urls[family] = env[var]
            if not urls:
                raise ParityUsageError("--provider external needs the URL of at least one server",
                                       "pass --redis-url / --postgres-url or set REDIS_URL / POSTGRES_URL")
        for family, url in urls.items():
            families.get(family).check_url(url)
        return cls(chosen, urls)


class Unavailable(Exception):
    """A family has no server in this run; backends needing it become not-applicable with this reason."""


class ServerPool:
    """Starts each family's server at most once per session and stops every one of them in close()."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self._endpoints: dict[str, Endpoint] = {}
        self._unavailable: dict[str, str] = {}
        self._owned: list[Any] = []
        self._root = None
        self._provider: str | None = None

    @property
    def provider(self) -> str:
        if self._provider is None:
            p = self.config.provider
            if p == "auto":
                p = "testcontainers" if containers.docker_available() else "embedded"
            self._provider = p
        return self._provider

    @property
    def chosen(self) -> str | None:
        """The provider if one was needed this session (auto resolves lazily, on the first server)."""
        return self._provider

    def get(self, family: str) -> Endpoint:
        if family in self._endpoints:
            return self._endpoints[family]
        if family in self._unavailable:
            raise Unavailable(self._unavailable[family])
        try:
            ep = self._start(family)
        except Unavailable as exc:
            self._unavailable[family] = str(exc)
            raise
        self._endpoints[family] = ep
        return ep

    def _start(self, family: str) -> Endpoint:
        if family not in families.names():
            raise Unavailable(f"no provider knows server family {family!r}")
        if family in self.config.urls:
            return external.endpoint(family, self.config.urls[family])
        if self.provider == "external":
            raise Unavailable(f"provider external and no {families.get(family).url_env} given")
        if self.provider == "testcontainers":
            server = containers.ContainerServer(families.get(family).container_spec())
        else:
            server = self.start_embedded(family)
            return server.endpoint()
        server.start()
        self._owned.append(server)
        return server.endpoint()

    def start_embedded(self, family: str, settings: dict[str, Any] | None = None, **kw: Any):
        """An extra owned embedded server (faults and benchmarks use these with their own settings)."""
        from parity.servers import embedded

        if self._root is None:
            self._root = embedded.TempRoot()
        server = families.get(family).embedded()(self._root, settings, **kw)
        self._owned.append(server)  # before start: a failed start is still cleaned up
        return server.start()

    def release(self, server) -> None:
        server.close()
        if server in self._owned:
            self._owned.remove(server)

    def endpoints(self) -> list[Endpoint]:
        return list(self._endpoints.values())

    def unavailable(self) -> dict[str, str]:
        return dict(self._unavailable)

    def close(self) -> None:
        errors = []
        for server in reversed(self._owned):
            try:
                server.close()
            except Exception as exc:  # keep stopping the others; report after
                errors.append(exc)
        self._owned.clear()
        self._endpoints.clear()
        if self._root is not None:
            self._root.remove()
            self._root = None
        if errors:
            raise errors[0]
