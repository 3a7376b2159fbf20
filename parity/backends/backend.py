"""A backend (name, server family, capabilities, saver factories) and the SaverContext its factories get."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, AsyncContextManager, Callable, ContextManager

from parity.backends.capabilities import Capability
from parity.errors import ParityUsageError
from parity.servers.endpoint import Endpoint


@dataclass
class SaverContext:
    """What a saver factory gets: where the server is and the run-scoped namespace it must stay inside."""

    endpoint: Endpoint | None
    scope: str  # unique per test: a Redis key prefix or a Postgres schema name
    options: dict[str, Any] = field(default_factory=dict)  # e.g. {"ttl": {...}} for savers that take it
    keep: bool = False  # True for a second saver on the same storage: do not drop the scope on exit

    @property
    def url(self) -> str | None:
        return self.endpoint.url if self.endpoint else None


SyncFactory = Callable[[SaverContext], ContextManager[Any]]
AsyncFactory = Callable[[SaverContext], AsyncContextManager[Any]]


@dataclass
class Backend:
    name: str
    family: str | None  # server family it needs ("redis", "postgres") or None
    capabilities: frozenset[Capability]
    sync_factory: SyncFactory | None
    async_factory: AsyncFactory | None
    doc: str
    origin: str = "built-in"  # or the dotted path / entry point it came from
    # A third-party saver without declared capabilities has them detected once its server exists (see resolve()).
    detect: Callable[[Endpoint | None], frozenset[Capability]] | None = None
    # Why a flavour has no cells, when its factory cannot give it (an `async def` factory has no sync saver; a
    # saver whose async methods only raise has no async API): said in the report instead of a silent gap.
    absent: dict[str, str] = field(default_factory=dict)
    # The classes of the savers its factories gave in this process: a finding names their distributions' versions
    # (parity.versions), read from what ran rather than declared.
    saver_classes: set[type] = field(default_factory=set)

    def resolve(self, endpoint_for: Callable[[str], Endpoint]) -> None:
        """Detect the capabilities of an undeclared third-party saver, with its server when it names a family.

        endpoint_for may raise (server unavailable): the default capabilities stay and the cells say why.
        """
        if self.detect is None:
            return
        detect, self.detect = self.detect, None
        endpoint = endpoint_for(self.family) if self.family else None
        try:
            self.capabilities = detect(endpoint)
        except ParityUsageError:
            raise
        except Exception as exc:
            first = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
            server = f"with its {self.family} server" if self.family else "without a server"
            raise ParityUsageError(
                f"saver {self.name!r} ({self.origin}) failed when called {server} to detect its capabilities: {first}",
                "fix the factory; if it needs a server set factory.parity_family = 'redis' or 'postgres'; "
                "or declare factory.parity_capabilities = [...]") from None

    def describe(self) -> dict[str, Any]:
        """What a run records about the backend it was asked to test (results.json run.backends)."""
        return {"name": self.name, "origin": self.origin, "family": self.family, "flavours": self.flavours(),
                "capabilities": sorted(c.value for c in self.capabilities)}

    def flavours(self) -> list[str]:
        return [f for f, cap in (("sync", Capability.SYNC), ("async", Capability.ASYNC)) if cap in self.capabilities]

    def has(self, *caps: Capability) -> bool:
        return all(c in self.capabilities for c in caps)

    def missing(self, *caps: Capability) -> list[Capability]:
        return [c for c in caps if c not in self.capabilities]

    def saver(self, flavour: str, ctx: SaverContext):
        factory = self.sync_factory if flavour == "sync" else self.async_factory
        if factory is None:
            raise ParityUsageError(f"backend {self.name!r} has no {flavour} saver")
        from parity.versions import Noting

        return Noting(factory(ctx), self.saver_classes)
