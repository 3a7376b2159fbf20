"""Name -> Backend registry: built-in savers, `--parity-saver NAME=module:factory` and the `parity.savers` entry points."""

from __future__ import annotations

import contextlib
import importlib
import inspect
import os
import sys
from importlib import metadata
from typing import Any, Callable

from parity.backends.backend import Backend, SaverContext
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

    Optional attributes on the factory: `parity_family` ("redis"/"postgres"), `parity_capabilities`
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
    return Backend(name, family, caps, _sync_adapter(factory), _async_adapter(factory),
                   doc=(inspect.getdoc(factory) or f"third-party saver {origin}").splitlines()[0], origin=origin,
                   detect=None if declared else (lambda endpoint: detect_capabilities(factory, endpoint)))


# What an undeclared saver is assumed to do until (or unless) they are detected: the core API, both flavours.
UNDETECTED = frozenset({Capability.SYNC, Capability.ASYNC, Capability.FULL_HISTORY,
                      Capability.LIST_FILTER, Capability.LIST_BEFORE, Capability.LIST_LIMIT})
_DETECT_THREAD = "parity_detect_durable"


def detect_capabilities(factory: Callable[..., Any], endpoint: Endpoint | None = None) -> frozenset[Capability]:
    import asyncio
    import uuid

    ctx = SaverContext(endpoint, f"parity_detect_{uuid.uuid4().hex[:6]}")
    caps = _detect_sync(factory, ctx)
    return caps if caps is not None else asyncio.run(_detect_async(factory, ctx))


def _caps_of(saver: Any) -> set[Capability] | None:
    from langgraph.checkpoint.base import BaseCheckpointSaver

    if not isinstance(saver, BaseCheckpointSaver):
        return None
    cls = type(saver)

    def overrides(method: str) -> bool:
        return getattr(cls, method, None) is not getattr(BaseCheckpointSaver, method, None)

    caps = {Capability.FULL_HISTORY, Capability.LIST_FILTER, Capability.LIST_BEFORE, Capability.LIST_LIMIT}
    caps |= {Capability.SYNC} if overrides("get_tuple") else set()
    caps |= {Capability.ASYNC} if overrides("aget_tuple") else set()
    caps |= {Capability.DELETE_THREAD} if overrides("delete_thread") else set()
    caps |= {Capability.PRUNE} if overrides("prune") else set()
    return caps


def _refuses_async(saver: Any) -> bool:
    """A sync saver that overrides the async methods only to raise NotImplementedError ("use the async class",
    as SqliteSaver does): it has no async API, whatever the override says. Any other outcome counts as having one,
    so a real async API that fails here still gets its cells and shows the failure."""
    import asyncio

    config, _, _ = _detect_checkpoint()
    try:
        asyncio.run(saver.aget_tuple(config))
    except NotImplementedError:
        return True
    except Exception:
        return False
    return False


def _detect_checkpoint():
    from langgraph.checkpoint.base import empty_checkpoint

    config = {"configurable": {"thread_id": _DETECT_THREAD, "checkpoint_ns": ""}}
    return config, empty_checkpoint(), {"source": "input", "step": -1, "parents": {}}


def _detect_sync(factory, ctx: SaverContext) -> frozenset[Capability] | None:
    with _sync_adapter(factory)(ctx) as first:
        if inspect.iscoroutine(first):
            first.close()
            return None  # an async factory: detected in _detect_async
        if hasattr(first, "__aenter__") and not hasattr(first, "get_tuple"):
            return None  # an async context manager of a saver
        caps = _caps_of(first)
        if caps is None:
            return UNDETECTED
        if Capability.SYNC not in caps:  # async-only saver built synchronously: no loop here to try it on,
            return frozenset(caps | {Capability.DURABLE})  # so its reopen scenarios run and show what it keeps
        if Capability.ASYNC in caps and _refuses_async(first):
            caps.discard(Capability.ASYNC)
        # A saver that fails even here keeps DURABLE: its reopen scenarios then show the failure, not a skip.
        durable = True
        with contextlib.suppress(Exception):
            config, checkpoint, metadata = _detect_checkpoint()
            saved = first.put(config, checkpoint, metadata, {})
            with _sync_adapter(factory)(SaverContext(ctx.endpoint, ctx.scope, keep=True)) as second:
                durable = second.get_tuple(saved) is not None
                if Capability.DELETE_THREAD in caps:
                    second.delete_thread(_DETECT_THREAD)
    return frozenset(caps | ({Capability.DURABLE} if durable else set()))


async def _detect_async(factory, ctx: SaverContext) -> frozenset[Capability]:
    async with _async_adapter(factory)(ctx) as first:
        caps = _caps_of(first)
        if caps is None:
            return frozenset(UNDETECTED - {Capability.SYNC})
        # A saver made by an async factory is bound to the loop it was made on; its sync methods (e.g.
        # AsyncPostgresSaver.get_tuple) serve other threads while that loop runs, not a sync caller.
        caps.discard(Capability.SYNC)
        durable = True
        with contextlib.suppress(Exception):
            config, checkpoint, metadata = _detect_checkpoint()
            saved = await first.aput(config, checkpoint, metadata, {})
            async with _async_adapter(factory)(SaverContext(ctx.endpoint, ctx.scope, keep=True)) as second:
                durable = await second.aget_tuple(saved) is not None
                if Capability.DELETE_THREAD in caps:
                    await second.adelete_thread(_DETECT_THREAD)
    return frozenset(caps | ({Capability.DURABLE} if durable else set()))


def _call(factory: Callable[..., Any], ctx: SaverContext) -> Any:
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: assume the documented one-argument form
        return factory(ctx)
    takes_ctx = any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL) for p in params)
    return factory(ctx) if takes_ctx else factory()


SYNC_API = ("get_tuple", "put", "put_writes", "list")
ASYNC_API = ("aget_tuple", "aput", "aput_writes", "alist")


def checked_saver(factory, saver: Any) -> Any:
    """The saver a factory made, or one line saying what it made instead and what a saver must have (a factory
    returning e.g. a dict used to fail every cell with a traceback: thousands of lines)."""
    if all(hasattr(saver, m) for m in SYNC_API) or all(hasattr(saver, m) for m in ASYNC_API):
        return saver
    shown = repr(saver)
    shown = shown if len(shown) <= 60 else shown[:59] + "…"
    where = f"{getattr(factory, '__module__', '?')}:{getattr(factory, '__qualname__', factory)}"
    raise ParityUsageError(
        f"saver factory {where} returned {type(saver).__name__} {shown}, not a checkpoint saver",
        f"return a LangGraph checkpoint saver (methods {', '.join(SYNC_API)} or {', '.join(ASYNC_API)}), "
        "or a (async) context manager that yields one")


def _sync_adapter(factory):
    @contextlib.contextmanager
    def open_sync(ctx: SaverContext):
        produced = _call(factory, ctx)
        if inspect.iscoroutine(produced) or hasattr(produced, "__aenter__") and not hasattr(produced, "get_tuple"):
            yield produced  # an async factory or async context manager: capability detection opens it async
        elif hasattr(produced, "__enter__") and not hasattr(produced, "get_tuple"):
            with produced as saver:
                yield checked_saver(factory, saver)
        else:
            yield checked_saver(factory, produced)
    return open_sync


def _async_adapter(factory):
    @contextlib.asynccontextmanager
    async def open_async(ctx: SaverContext):
        produced = _call(factory, ctx)
        if inspect.isawaitable(produced):
            produced = await produced
        if hasattr(produced, "__aenter__") and not hasattr(produced, "aget_tuple"):
            async with produced as saver:
                yield checked_saver(factory, saver)
        elif hasattr(produced, "__enter__") and not hasattr(produced, "aget_tuple"):
            # A sync context manager of a saver with an async API (e.g. a @contextmanager factory): entered here
            # too, or the async cells would be handed the context manager instead of the saver.
            with produced as saver:
                yield checked_saver(factory, saver)
        else:
            yield checked_saver(factory, produced)
    return open_async
