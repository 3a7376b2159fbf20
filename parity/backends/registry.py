"""Name -> Backend registry: built-in savers, `--parity-saver NAME=module:factory` and the `parity.savers` entry points."""

from __future__ import annotations

import contextlib
import importlib
import inspect
import os
import sys
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Callable

from parity.backends.backend import Backend, SaverContext
from parity.backends import opener
from parity.backends.capabilities import Capability
from parity.errors import ParityUsageError
from parity.servers.endpoint import Endpoint

ENTRY_POINT_GROUP = "parity.savers"


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


def registry_with(saver_specs: list[str]) -> Registry:
    """The default registry plus every `--parity-saver NAME=module:factory` (bad ones: ParityUsageError)."""
    registry = default_registry()
    for spec in saver_specs:
        name, target = parse_saver_option(spec)
        registry.register(backend_from_factory(name, load_factory(target), origin=target))
    return registry


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

    Optional attributes on the factory: `parity_family` (a server family's name), `parity_capabilities`
    (names of Capability). Without them the saver's capabilities are detected, once its server runs, for which methods it
    overrides and whether a second saver on the same scope sees the first one's data (durable).
    A factory taking no argument is called without the context.
    """
    family = getattr(factory, "parity_family", None)
    declared = getattr(factory, "parity_capabilities", None)
    if declared:
        try:
            caps = frozenset(Capability(c) for c in declared)
        except ValueError as exc:
            raise ParityUsageError(f"saver {name!r} ({origin}): parity_capabilities: {exc}",
                                   f"use names from: {', '.join(c.value for c in Capability)}") from None
    else:
        caps = UNDETECTED
    backend = Backend(name, family, caps, opener.opener(factory, "sync"), opener.opener(factory, "async"),
                      doc=(inspect.getdoc(factory) or f"third-party saver {origin}").splitlines()[0], origin=origin)
    if not declared:
        backend.detect = lambda endpoint: detect_capabilities(factory, endpoint, backend.absent)
    return backend


# What an undeclared saver is assumed to do until (or unless) they are detected: the core API, both flavours.
UNDETECTED = frozenset({Capability.SYNC, Capability.ASYNC, Capability.FULL_HISTORY,
                      Capability.LIST_FILTER, Capability.LIST_BEFORE, Capability.LIST_LIMIT})
CORE = UNDETECTED - {Capability.SYNC, Capability.ASYNC}
_DETECT_THREAD = "parity_detect_durable"
SYNC_API, ASYNC_API, checked_saver = opener.SYNC_API, opener.ASYNC_API, opener.checked_saver


@dataclass
class Side:
    """What opening the factory for one flavour showed: the capabilities it gives, or why it gives none."""

    caps: set[Capability] = field(default_factory=set)
    durable: bool = False
    absent: str = ""  # why this flavour has no cells (empty when it has)


def detect_capabilities(factory: Callable[..., Any], endpoint: Endpoint | None = None,
                        absent: dict[str, str] | None = None) -> frozenset[Capability]:
    """Open the factory as a sync app does (no event loop) and as an async app does (on a loop of its own); each
    flavour that opens to a saver implementing its API is a capability. `absent` gets, per flavour left out, why."""
    import asyncio
    import uuid

    ctx = SaverContext(endpoint, f"parity_detect_{uuid.uuid4().hex[:6]}")
    sync = _detect_sync(factory, ctx)  # may raise: a factory that fails when opened is one line (Backend.resolve)
    try:
        async_ = asyncio.run(_detect_async(factory, ctx))
    except Exception as exc:
        if sync.absent:  # neither flavour opens: the async error is the factory's
            raise
        async_ = Side(absent=f"opening it for the async API failed: {type(exc).__name__}: {exc}".splitlines()[0])
    if absent is not None:
        absent.update({f: side.absent for f, side in (("sync", sync), ("async", async_)) if side.absent})
    caps = sync.caps | async_.caps
    if not caps:
        return frozenset(CORE | {Capability.DURABLE})  # neither API: its cells are not generated; nothing to keep
    durable = sync.durable if Capability.SYNC in caps else async_.durable
    return frozenset(caps | ({Capability.DURABLE} if durable else set()))


def _caps_of(saver: Any, flavour: str) -> tuple[set[Capability], str]:
    """The capabilities a saver opened for `flavour` gives that flavour, and why it gives none."""
    from langgraph.checkpoint.base import BaseCheckpointSaver

    cap, api = (Capability.SYNC, SYNC_API) if flavour == "sync" else (Capability.ASYNC, ASYNC_API)
    if not isinstance(saver, BaseCheckpointSaver):  # duck-typed: the methods it has
        return (set(CORE) | {cap}, "") if all(hasattr(saver, m) for m in api) else (set(), f"no {api[0]} method")
    cls = type(saver)

    def overrides(method: str) -> bool:
        return getattr(cls, method, None) is not getattr(BaseCheckpointSaver, method, None)

    if not overrides(api[0]):
        return set(), f"{cls.__name__} does not implement {api[0]} (BaseCheckpointSaver's raises NotImplementedError)"
    caps = set(CORE) | {cap}
    caps |= {Capability.DELETE_THREAD} if overrides("delete_thread") else set()
    caps |= {Capability.PRUNE} if overrides("prune") else set()
    return caps, ""


async def _refuses_async(saver: Any) -> bool:
    """A sync saver that overrides the async methods only to raise NotImplementedError ("use the async class",
    as SqliteSaver does): it has no async API, whatever the override says. Any other outcome counts as having one,
    so a real async API that fails here still gets its cells and shows the failure."""
    config, _, _ = _detect_checkpoint()
    try:
        result = saver.aget_tuple(config)
        if inspect.isawaitable(result):
            await result
    except NotImplementedError:
        return True
    except Exception:
        return False
    return False


def _detect_checkpoint():
    from langgraph.checkpoint.base import empty_checkpoint

    config = {"configurable": {"thread_id": _DETECT_THREAD, "checkpoint_ns": ""}}
    return config, empty_checkpoint(), {"source": "input", "step": -1, "parents": {}}


def _detect_sync(factory, ctx: SaverContext) -> Side:
    try:
        with opener.open_sync(factory, ctx) as first:
            caps, why = _caps_of(first, "sync")
            if why:
                return Side(absent=why)
            # A saver that fails even here keeps DURABLE: its reopen scenarios then show the failure, not a skip.
            durable = True
            with contextlib.suppress(Exception):
                config, checkpoint, metadata = _detect_checkpoint()
                saved = first.put(config, checkpoint, metadata, {})
                with opener.open_sync(factory, SaverContext(ctx.endpoint, ctx.scope, keep=True)) as second:
                    durable = second.get_tuple(saved) is not None
                    if Capability.DELETE_THREAD in caps:
                        second.delete_thread(_DETECT_THREAD)
            return Side(caps, durable)
    except opener.NotOffered as exc:
        return Side(absent=str(exc))


async def _detect_async(factory, ctx: SaverContext) -> Side:
    async with opener.open_async(factory, ctx) as first:
        caps, why = _caps_of(first, "async")
        if why:
            return Side(absent=why)
        if _caps_of(first, "sync")[0] and await _refuses_async(first):
            return Side(absent=f"{type(first).__name__}'s async methods raise NotImplementedError (a sync-only saver)")
        durable = True
        with contextlib.suppress(Exception):
            config, checkpoint, metadata = _detect_checkpoint()
            saved = await first.aput(config, checkpoint, metadata, {})
            async with opener.open_async(factory, SaverContext(ctx.endpoint, ctx.scope, keep=True)) as second:
                durable = await second.aget_tuple(saved) is not None
                if Capability.DELETE_THREAD in caps:
                    await second.adelete_thread(_DETECT_THREAD)
    return Side(caps, durable)
