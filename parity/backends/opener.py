"""Opening a saver factory for one flavour: every form docs/own-saver.md allows, the same in the matrix, the fixtures,
capability detection and the emitted repro scripts.

The forms: a factory returning a saver; a sync context manager of a saver; an async context manager of one; one
object that is both (the same saver from `with` and `async with`, or a sync saver from `with` and an async one from
`async with`); an `async def` factory; each with or without the SaverContext argument. A sync app has no event loop:
`open_sync` never starts one, so a form only a loop can open (an `async def` factory, an async-only context manager)
is `NotOffered` for the sync flavour, with the reason.
"""

from __future__ import annotations

import contextlib
import inspect
from typing import Any, Callable

from parity.errors import ParityUsageError

SYNC_API = ("get_tuple", "put", "put_writes", "list")
ASYNC_API = ("aget_tuple", "aput", "aput_writes", "alist")


class NotOffered(Exception):
    """The factory's form cannot give a saver of this flavour (why: the message, one line)."""


def call(factory: Callable[..., Any], ctx: Any) -> Any:
    """factory(ctx), or factory() when it takes no positional argument."""
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: assume the documented one-argument form
        return factory(ctx)
    takes_ctx = any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL) for p in params)
    return factory(ctx) if takes_ctx else factory()


def _has(obj: Any, api: tuple[str, ...]) -> bool:
    return all(hasattr(obj, m) for m in api)


@contextlib.contextmanager
def open_sync(factory: Callable[..., Any], ctx: Any):
    """The factory's sync saver, opened as a sync app would: no event loop anywhere."""
    produced = call(factory, ctx)
    if inspect.iscoroutine(produced):
        produced.close()  # never awaited: a sync app has no loop to run it on
        raise NotOffered("an `async def` factory makes its saver on an event loop, which a sync app has not")
    if not _has(produced, SYNC_API) and hasattr(produced, "__enter__"):
        with produced as saver:
            yield checked_saver(factory, saver)
        return
    if not _has(produced, SYNC_API) and hasattr(produced, "__aenter__"):
        raise NotOffered("an async context manager opens only with `async with`, on an event loop")
    yield checked_saver(factory, produced)


@contextlib.asynccontextmanager
async def open_async(factory: Callable[..., Any], ctx: Any):
    """The factory's async saver, opened on the running loop (`async with` before `with`: an object that is both
    context managers gives its async saver to `async with`)."""
    produced = call(factory, ctx)
    if inspect.isawaitable(produced) and not hasattr(produced, "__aenter__"):
        produced = await produced
    if not _has(produced, ASYNC_API) and hasattr(produced, "__aenter__"):
        async with produced as saver:
            yield checked_saver(factory, saver)
    elif not _has(produced, ASYNC_API) and hasattr(produced, "__enter__"):
        # A sync context manager of a saver with an async API (e.g. a @contextmanager factory): entered here too,
        # or the async cells would be handed the context manager instead of the saver.
        with produced as saver:
            yield checked_saver(factory, saver)
    else:
        yield checked_saver(factory, produced)


def checked_saver(factory, saver: Any) -> Any:
    """The saver a factory made, or one line saying what it made instead and what a saver must have (a factory
    returning e.g. a dict used to fail every cell with a traceback: thousands of lines)."""
    if _has(saver, SYNC_API) or _has(saver, ASYNC_API):
        return saver
    shown = repr(saver)
    shown = shown if len(shown) <= 60 else shown[:59] + "…"
    where = f"{getattr(factory, '__module__', '?')}:{getattr(factory, '__qualname__', factory)}"
    raise ParityUsageError(
        f"saver factory {where} returned {type(saver).__name__} {shown}, not a checkpoint saver",
        f"return a LangGraph checkpoint saver (methods {', '.join(SYNC_API)} or {', '.join(ASYNC_API)}), "
        "or a (async) context manager that yields one")


def opener(factory: Callable[..., Any], flavour: str):
    """The flavour's opener bound to a factory: `opener(f, "sync")(ctx)` is a context manager of its saver."""
    if flavour == "sync":
        return lambda ctx: open_sync(factory, ctx)
    return lambda ctx: open_async(factory, ctx)
