"""Name -> Backend registry: built-in savers, `--parity-saver NAME=module:factory` and the `parity.savers` entry points."""

from __future__ import annotations

import contextlib
import importlib
import inspect
import os
import sys
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, AsyncContextManager, Callable, ContextManager

from parity.backends.capabilities import Capability
from parity.errors import ParityUsageError
from parity.servers.endpoint import Endpoint

ENTRY_POINT_GROUP = "parity.savers"


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
        return factory(ctx)


class Registry:
    def __init__(self) -> None:
        self._backends: dict[str, Backend] = {}

    def register(self, backend: Backend) -> Backend:
        self._backends[backend.name] = backend
        return backend

    def get(self, name: str) -> Backend:
        try:
            return self._backends[name]
        except KeyError:
            raise ParityUsageError(f"unknown backend {name!r}",
                                   f"choose from {', '.join(self.names())} or add one with --parity-saver") from None

    def names(self) -> list[str]:
        return list(self._backends)

    def __iter__(self):
        return iter(list(self._backends.values()))

    def select(self, names: list[str] | None) -> list[Backend]:
        return [self.get(n) for n in names] if names else list(self)


def default_registry() -> Registry:
    from parity.backends import builtin

    reg = Registry()
    for backend in builtin.backends():
        reg.register(backend)
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        reg.register(backend_from_factory(ep.name, ep.load(), origin=f"entry point {ep.value}"))
    return reg


def parse_saver_option(spec: str) -> tuple[str, str]:
    name, sep, target = spec.partition("=")
    if not sep or not name or ":" not in target:
        raise ParityUsageError(f"--parity-saver {spec!r} is not NAME=module:factory",
                               "write it like --parity-saver mysaver=my_pkg.savers:make_saver")
    return name.strip(), target.strip()


def load_factory(target: str) -> Callable[..., Any]:
    module_name, _, attr = target.partition(":")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # like pytest's rootdir: the user's own modules are importable
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any import-time error of user code is a bad option, said in one line
        raise ParityUsageError(f"cannot import saver module {module_name!r}: {type(exc).__name__}: {exc}",
                               "check the module path and that it is importable from this directory") from None
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise ParityUsageError(f"{target!r}: {module_name} has no callable {attr!r}",
                               "point --parity-saver at a function that returns a saver")
    return factory


def backend_from_factory(name: str, factory: Callable[..., Any], origin: str) -> Backend:
    """Wrap a user factory `factory(ctx) -> saver | (async) context manager of a saver` as a Backend.

    Optional attributes on the factory: `parity_family` ("redis"/"postgres"), `parity_capabilities`
    (names of Capability). Without them the saver is probed for which methods it overrides.
    """
    family = getattr(factory, "parity_family", None)
    declared = getattr(factory, "parity_capabilities", None)
    caps = frozenset(Capability(c) for c in declared) if declared else probe_capabilities(factory)
    return Backend(name, family, caps, _sync_adapter(factory), _async_adapter(factory),
                   doc=(inspect.getdoc(factory) or f"third-party saver {origin}").splitlines()[0], origin=origin)


def probe_capabilities(factory: Callable[..., Any]) -> frozenset[Capability]:
    from langgraph.checkpoint.base import BaseCheckpointSaver

    produced = factory(SaverContext(None, "parity_probe"))
    saver = produced if isinstance(produced, BaseCheckpointSaver) else None
    if saver is None:
        with contextlib.suppress(Exception):
            (produced.__exit__ if hasattr(produced, "__exit__") else (lambda *a: None))(None, None, None)
        return frozenset({Capability.SYNC, Capability.ASYNC, Capability.FULL_HISTORY,
                          Capability.LIST_FILTER, Capability.LIST_BEFORE, Capability.LIST_LIMIT})
    cls = type(saver)

    def overrides(method: str) -> bool:
        return getattr(cls, method, None) is not getattr(BaseCheckpointSaver, method, None)

    caps = {Capability.FULL_HISTORY, Capability.LIST_FILTER, Capability.LIST_BEFORE, Capability.LIST_LIMIT}
    caps |= {Capability.SYNC} if overrides("get_tuple") else set()
    caps |= {Capability.ASYNC} if overrides("aget_tuple") else set()
    caps |= {Capability.DELETE_THREAD} if overrides("delete_thread") else set()
    caps |= {Capability.PRUNE} if overrides("prune") else set()
    return frozenset(caps)


def _sync_adapter(factory):
    @contextlib.contextmanager
    def open_sync(ctx: SaverContext):
        produced = factory(ctx)
        if hasattr(produced, "__enter__") and not hasattr(produced, "get_tuple"):
            with produced as saver:
                yield saver
        else:
            yield produced
    return open_sync


def _async_adapter(factory):
    @contextlib.asynccontextmanager
    async def open_async(ctx: SaverContext):
        produced = factory(ctx)
        if inspect.isawaitable(produced):
            produced = await produced
        if hasattr(produced, "__aenter__") and not hasattr(produced, "aget_tuple"):
            async with produced as saver:
                yield saver
        else:
            yield produced
    return open_async
