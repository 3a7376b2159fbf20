"""Session-scoped servers: chosen provider per family, started lazily, all stopped at the end (also on signals)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from parity.errors import ParityUsageError
from parity import families
from parity.servers import containers, external, reaper
from parity.servers.containers import ContainerOptions
from parity.servers.endpoint import Endpoint

PROVIDERS = ("auto", "embedded", "testcontainers", "external")


@dataclass
class ServerConfig:
    provider: str = "auto"
    urls: dict[str, str] = field(default_factory=dict)  # explicit URLs (flags) always win for their family
    containers: ContainerOptions = field(default_factory=ContainerOptions)
    # where each URL came from, so a fix names what the user actually set: "--redis-url" or "REDIS_URL"
    sources: dict[str, str] = field(default_factory=dict)

    @classmethod
    def resolve(cls, provider: str | None, urls: dict[str, str | None] | None = None,
                env: dict[str, str] | None = None, *, container_network: str | None = None,
                images: dict[str, str | None] | None = None) -> "ServerConfig":
        """urls: {family: URL} from the --FAMILY-url options (None or "" = not given)."""
        env = dict(os.environ) if env is None else env
        options = ContainerOptions.resolve(container_network, images, env)
        chosen = (provider or env.get("PARITY_PROVIDER") or "auto").strip().lower()
        if chosen not in PROVIDERS:
            raise ParityUsageError(f"unknown provider {chosen!r}", f"use one of {', '.join(PROVIDERS)}")
        urls = {family: url for family, url in (urls or {}).items() if url}
        sources = {family: f"--{family}-url" for family in urls}
        if chosen == "external":
            for family in families.names():
                var = families.get(family).url_env
                if family not in urls and env.get(var):
                    urls[family], sources[family] = env[var], var
            if not urls:
                raise ParityUsageError("--provider external needs the URL of at least one server",
                                       f"pass {_flags(families.names())} or set {_vars()}")
        for family, url in urls.items():
            families.get(family).check_url(url)
        return cls(chosen, urls, options, sources)

    def unused_env(self, env: dict[str, str] | None = None) -> str | None:
        """One warning line when a URL variable that looks like our configuration is set but not used (REDIS_URL
        alone was ignored without a word: only --provider external reads it), else None."""
        env = dict(os.environ) if env is None else env
        names = {families.get(f).url_env: f for f in families.names()}
        for f in families.names():  # the usual names of such a URL elsewhere (DATABASE_URL); we never read them
            for var in families.get(f).other_url_envs:
                names.setdefault(var, f)
        unused = [var for var, family in names.items() if env.get(var) and family not in self.urls
                  and (self.provider != "external" or var not in (families.get(family).url_env,))]
        if not unused:
            return None
        flags = _flags(names[v] for v in unused)
        why = (f"the external provider reads only {_vars()}" if self.provider == "external" else
               f"the provider is {self.provider}, which starts its own servers; only --provider external reads "
               f"{_vars()}")
        return (f"parity: warning: {', '.join(unused)} {'is' if len(unused) == 1 else 'are'} set but not used: {why} "
                f"(fix: to test against that server pass {flags}, or unset the variable)")


    @classmethod
    def from_args(cls, args) -> "ServerConfig":
        """From Options (its `urls`) or parsed CLI arguments (a `FAMILY_url` per family, see options.family_url_options)."""
        urls = getattr(args, "urls", None)
        if urls is None:
            urls = {family: getattr(args, f"{family}_url", None) for family in families.names()}
        return cls.resolve(args.provider, urls,
                           container_network=getattr(args, "container_network", None),
                           images=containers.parse_images(getattr(args, "images", None) or []))


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
        self.provider_reason = ""  # one line: why this provider (auto says what it checked)

    @property
    def provider(self) -> str:
        if self._provider is None:
            p = self.config.provider
            if p == "auto":
                p, self.provider_reason = containers.choose_auto(self.config.containers)
            elif p == "testcontainers":
                containers.require(self.config.containers)  # engine and images, in seconds, before any test
                self.provider_reason = "Testcontainers as asked (--provider testcontainers)"
            else:
                self.provider_reason = f"{p} as asked"
            if p == "testcontainers":
                self.provider_reason += "; " + "; ".join(f"{k} {v}" for k, v in self._containers_described().items())
            self._provider = p
        return self._provider

    def _containers_described(self) -> dict[str, Any]:
        opts = self.config.containers
        images = ", ".join(opts.image(f) for f in families.names())
        return {"network": opts.network, "images": images, "cleanup": opts.ryuk()[1]}

    def preflight(self) -> str:
        """Decide the provider now (auto checks the engine and images; explicit testcontainers fails fast)."""
        if self.config.urls.keys() >= set(families.names()):
            return "every server given by URL"
        return f"provider {self.provider}: {self.provider_reason}"

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
        return self.start_owned(family).endpoint()

    def start_owned(self, family: str, settings: dict[str, Any] | None = None, **kw: Any):
        """A server the suite owns, from the session's provider (faults and benchmarks add their own settings).

        modules=False (a Redis without JSON/search) has no container form: the images always load them,
        so that one server is embedded, and says so in its endpoint's provider.
        """
        if self.provider == "testcontainers" and kw.get("modules", True):
            return self.start_container(family, settings)
        return self.start_embedded(family, settings, **kw)

    def start_container(self, family: str, settings: dict[str, Any] | None = None):
        from parity.servers.container_server import ContainerServer

        opts = self.config.containers
        root = self._reaper_root()
        server = ContainerServer(family, opts, settings, on_create=lambda cid: reaper.register(root.path, f"docker:{cid}"))
        self._owned.append(server)  # before start: a failed start is still cleaned up
        return server.start()

    def _reaper_root(self):
        from parity.servers import embedded

        if self._root is None:
            self._root = embedded.TempRoot()
        return self._root

    def start_embedded(self, family: str, settings: dict[str, Any] | None = None, **kw: Any):
        """An extra owned embedded server, whatever the session's provider."""
        server = families.get(family).embedded()(self._reaper_root(), settings, **kw)
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


def _flags(names) -> str:
    """"--redis-url / --postgres-url": the URL option of each family named."""
    return " / ".join(f"--{name}-url" for name in names)


def _vars() -> str:
    """"REDIS_URL / POSTGRES_URL": the variable each family's external URL comes from."""
    return " / ".join(families.get(name).url_env for name in families.names())
