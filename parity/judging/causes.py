"""A failing cell's root cause: the first saver call that raised where the reference's did not.

A put that raises on every call, or a method the saver lacks that LangGraph calls from deep inside a graph (the
sync `list`, from a worker thread, under graph.ainvoke), fails many cells in many ways (an error, an empty
history, a missing task); each cell's own most significant difference then names a symptom. The saver's calls are
watched during a run (the instance's methods wrapped, the class untouched, so LangGraph and capability checks see
the same saver), and the first exception one of them raised names the finding and groups its cells.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import threading
from dataclasses import dataclass
from typing import Any

from parity.judging import missing_api

SYNC_METHODS = ("get_tuple", "list", "put", "put_writes", "delete_thread")
WATCHED = SYNC_METHODS + tuple("a" + m for m in SYNC_METHODS)


@dataclass(frozen=True)
class Raised:
    """One saver call that raised: which (as a user would name it) and what."""

    call: str  # "put", "aput", "sync list from a worker thread"
    error: str  # "ConnectionError: write refused"
    type: str  # "ConnectionError"

    def title(self, flavour: str) -> str:
        """The finding's headline: named after the call."""
        if self.type == "NotImplementedError":
            return f"not implemented: {self.call}: a user loses {missing_api.loss(self.call, flavour)}"[:200]
        return f"{self.call} raises {self.error}"[:200]


class Watch:
    """The exceptions a saver's API calls raised during one run, outermost call first named."""

    def __init__(self, flavour: str) -> None:
        self.flavour = flavour
        self.home = threading.get_ident()  # the scenario's own thread
        self._seen: dict[int, Raised] = {}  # id(exception) -> the outermost call it left
        self._order: list[int] = []
        self._keep: list[BaseException] = []  # ids stay unique while the exceptions live

    @property
    def raised(self) -> list[Raised]:
        return [self._seen[i] for i in self._order]

    def record(self, name: str, exc: BaseException) -> None:
        if not isinstance(exc, Exception):
            return  # a Ctrl-C or a cell timeout is no saver's error
        call = name
        if self.flavour == "async" and name in SYNC_METHODS and threading.get_ident() != self.home:
            call = f"sync {name} from a worker thread"  # as parity.judging.missing_api names it
        first_line = (str(exc).strip().splitlines() or [""])[0][:160]
        error = f"{type(exc).__name__}: {first_line}" if first_line else type(exc).__name__
        if id(exc) not in self._seen:
            self._order.append(id(exc))
            self._keep.append(exc)
        self._seen[id(exc)] = Raised(call, error, type(exc).__name__)  # an outer call (aput around put) wins


@contextlib.contextmanager
def watching(saver: Any, flavour: str):
    """The saver instance's API methods wrapped for the run, so each exception they raise is recorded and re-raised
    as it was; put back as they were after it (a saver shared between runs must not pile wrappers up)."""
    w = Watch(flavour)
    before: dict[str, Any] = {}
    try:
        for name in WATCHED:
            method = getattr(saver, name, None)
            if callable(method):
                before[name] = old = vars(saver).get(name, _ABSENT) if hasattr(saver, "__dict__") else _ABSENT
                object.__setattr__(saver, name, _wrapped(w, name, method, _current(saver, name, old)))
    except (AttributeError, TypeError):  # __slots__ or a frozen model: that saver's causes stay unnamed
        before.pop(name, None)
    try:
        yield w
    finally:
        for name, old in before.items():
            with contextlib.suppress(AttributeError, TypeError, KeyError):
                if old is _ABSENT:
                    object.__delattr__(saver, name)
                else:
                    object.__setattr__(saver, name, old)


_ABSENT = object()


def _current(saver: Any, name: str, old: Any):
    """The method as the saver's class has it at call time: parity.judging.calls swaps the class to record every
    call (after this wrapper is in place), and that recording must still see the call."""
    if old is not _ABSENT:
        return lambda: old
    return lambda: getattr(type(saver), name).__get__(saver, type(saver))


def _wrapped(w: Watch, name: str, kind, current):
    if inspect.isasyncgenfunction(kind):
        @functools.wraps(kind)
        async def agen(*args, **kw):
            try:
                async for item in current()(*args, **kw):
                    yield item
            except BaseException as exc:
                w.record(name, exc)
                raise
        return agen
    if inspect.iscoroutinefunction(kind):
        @functools.wraps(kind)
        async def coro(*args, **kw):
            try:
                return await current()(*args, **kw)
            except BaseException as exc:
                w.record(name, exc)
                raise
        return coro

    @functools.wraps(kind)
    def call(*args, **kw):
        try:
            result = current()(*args, **kw)
        except BaseException as exc:
            w.record(name, exc)
            raise
        return _watched_iter(w, name, result) if inspect.isgenerator(result) else result
    return call


def _watched_iter(w: Watch, name: str, gen):
    try:
        yield from gen
    except BaseException as exc:
        w.record(name, exc)
        raise


def root(actual: list[Raised], expected: list[Raised]) -> Raised | None:
    """The first call of the cell's run that raised where the reference's run raised nothing alike."""
    known = {(r.call, r.type) for r in expected}
    return next((r for r in actual if (r.call, r.type) not in known), None)
