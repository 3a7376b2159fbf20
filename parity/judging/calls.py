"""Every saver-API call of a cell, recorded as it passes: the one recorder of saver calls.

parity.judging.invariants checks the saver's output on the calls that returned; parity.judging.causes names a
finding after the first call that raised (Calls.raised), also a method the saver lacks that LangGraph calls from deep
inside a graph (the sync `list` from a worker thread, under graph.ainvoke).
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver

# The calls whose arguments and results the invariants read; each sync name also as "a" + name.
WATCHED = ("put", "put_writes", "get_tuple", "list", "delete_thread", "prune")
MUTATIONS = ("put", "delete_thread", "prune")  # calls that change which checkpoints a thread has
# Set while a watched call runs: a saver's aget_tuple calling its own get_tuple (InMemorySaver does) is one call.
_INSIDE: contextvars.ContextVar[bool] = contextvars.ContextVar("parity_inside_saver_call", default=False)
_SUBCLASSES: dict[type, type] = {}
_BINDERS = {name: inspect.signature(getattr(BaseCheckpointSaver, name)) for name in WATCHED}


@dataclass
class Call:
    """One saver call: its name without the async "a", its arguments by name, and what it returned or raised."""

    name: str
    args: dict[str, Any]
    start: int
    end: int | None = None
    result: Any = None
    items: list[Any] | None = None  # list(): what it yielded, also when the caller stopped early
    raised: str | None = None  # the exception's type name
    thread_marks: tuple[int, int] = (0, 0)  # the read thread's mutation count at its start and its end
    spelled: str = ""  # as it was called: "aput", "put"
    os_thread: int = 0  # the OS thread it ran on (threading.get_ident()): a sync call from a worker thread
    error: str | None = None  # "ConnectionError: write refused": the type and the message's first line

    @property
    def ok(self) -> bool:
        return self.end is not None and self.raised is None

    @property
    def configurable(self) -> dict[str, Any]:
        config = self.args.get("config") or {}
        return config.get("configurable", {}) if isinstance(config, dict) else {}

    @property
    def thread(self) -> Any:
        return self.args["thread_id"] if self.name == "delete_thread" else self.configurable.get("thread_id")


@dataclass
class Calls:
    """The calls of one scenario run, in start order, over every saver watched for it (a reopened one too)."""

    log: list[Call] = field(default_factory=list)
    unwatched: str | None = None  # why a saver could not be watched (no invariant is then checked on it)

    def __post_init__(self) -> None:
        self._seq = itertools.count(1)
        self._lock = threading.Lock()  # sync savers are called from LangGraph's worker threads
        self._mutations: dict[Any, int] = {}  # thread id -> mutation calls begun + ended (odd while one runs)
        self.home = threading.get_ident()  # the scenario's own thread (a call from another is a worker thread's)
        self._raised: list[Call] = []  # per exception, the outermost call it left, in the order they were raised
        self._raised_by: dict[int, int] = {}  # id(exception) -> its index in _raised

    def raised(self) -> list[Call]:
        """The calls that raised an Exception (not a Ctrl-C or a cancellation), one per exception: the outermost
        call it left (aput around a put in a worker thread: aput), first raised first."""
        return list(self._raised)

    def watch(self, saver: Any) -> Any:
        """The same saver, its class swapped for a subclass that records each call here (arguments and results pass
        unchanged, signatures kept: LangGraph reads put_writes' to decide whether to pass task_path). A method the
        class keeps from BaseCheckpointSaver (it raises NotImplementedError) is recorded through the instance, so the
        class still says the saver lacks it. A class that cannot be swapped (its layout differs from a subclass's) is
        watched through the instance alone. Watching a saver again records into the newer Calls, wrapping nothing
        twice."""
        try:
            cls = type(saver)
            if cls not in _SUBCLASSES and not getattr(cls, "_parity_watched", False):
                _SUBCLASSES[cls] = _watched_class(cls)
            swapped = True
            if not getattr(cls, "_parity_watched", False):
                try:
                    saver.__class__ = _SUBCLASSES[cls]
                except (TypeError, AttributeError):  # another layout, or a __setattr__ that refuses (frozen)
                    swapped = False
            object.__setattr__(saver, "_parity_calls", self)
            _watch_instance(saver, every=not swapped)
        except (TypeError, AttributeError) as exc:  # a class with __slots__ or a C type: judged by the diff alone
            self.unwatched = f"{type(saver).__name__} cannot be watched: {exc}"
        return saver

    def begin(self, name: str, args: tuple, kw: dict, spelled: str = "") -> Call:
        try:
            bound = _BINDERS[name].bind(None, *args, **kw).arguments
            bound.pop("self", None)
        except TypeError:  # a saver's own extra parameters: read what is there by name
            bound = dict(kw)
        with self._lock:
            call = Call(name, dict(bound), next(self._seq), spelled=spelled or name, os_thread=threading.get_ident())
            thread = call.thread
            if name in MUTATIONS:
                for t in self._threads_of(call):
                    self._mutations[t] = self._mutations.get(t, 0) + 1
            call.thread_marks = (self._mutations.get(thread, 0), 0)
            self.log.append(call)
        return call

    def finish(self, call: Call, result: Any = None, raised: BaseException | None = None) -> None:
        with self._lock:
            call.end = next(self._seq)
            if raised is not None:
                call.raised = type(raised).__name__
                first_line = (str(raised).strip().splitlines() or [""])[0][:160]
                call.error = f"{call.raised}: {first_line}" if first_line else call.raised
                self._note_raised(call, raised)
            elif call.items is None:
                call.result = result
            if call.name in MUTATIONS:
                for t in self._threads_of(call):
                    self._mutations[t] = self._mutations.get(t, 0) + 1
            call.thread_marks = (call.thread_marks[0], self._mutations.get(call.thread, 0))

    def _note_raised(self, call: Call, exc: BaseException) -> None:
        """Under the lock. The same exception leaving an outer call that began before the one it left first (aput
        around a put run in a worker thread) is named after the outer call; an exception whose id a later one reuses
        (the first is gone by then) is another."""
        if not isinstance(exc, Exception):
            return  # a Ctrl-C, a cell timeout or a cancellation is no saver's error
        at = self._raised_by.get(id(exc))
        if at is not None and self._raised[at].start > call.start:
            self._raised[at] = call
            return
        self._raised_by[id(exc)] = len(self._raised)
        self._raised.append(call)

    @staticmethod
    def _threads_of(call: Call) -> list[Any]:
        if call.name == "prune":
            return list(call.args.get("thread_ids") or [])
        return [call.thread]


def _watched_class(cls: type) -> type:
    methods = {}
    for name in WATCHED:
        for spelled in (name, "a" + name):
            original = getattr(cls, spelled, None)
            # Left alone where the class keeps the base's (it raises NotImplementedError): code that asks "does this
            # saver implement prune?" by `type(saver).prune is BaseCheckpointSaver.prune` still gets its answer.
            if original is not None and original is not getattr(BaseCheckpointSaver, spelled, None):
                methods[spelled] = _wrapper(name, spelled, original)
    sub = type(cls.__name__, (cls,), {**methods, "_parity_watched": True})
    sub.__qualname__, sub.__module__ = cls.__qualname__, cls.__module__
    return sub


def _watch_instance(saver: Any, every: bool) -> None:
    """Wrapped on the instance (once): the watched methods the saver's class keeps from BaseCheckpointSaver, or
    `every` one, when its class could not be swapped."""
    for name in WATCHED:
        for spelled in (name, "a" + name):
            base, own = getattr(BaseCheckpointSaver, spelled, None), getattr(type(saver), spelled, None)
            if own is None or not (every or own is base):
                continue
            if not getattr(vars(saver).get(spelled), "_parity_wrapper", False):
                wrapper = _wrapper(name, spelled, own)
                wrapper._parity_wrapper = True
                object.__setattr__(saver, spelled, wrapper.__get__(saver, type(saver)))


def _wrapper(name: str, spelled: str, original):
    if name == "list" and spelled == "alist":
        @functools.wraps(original)
        def alist(self, *args, **kw):
            return _aiterate(self, original(self, *args, **kw), _begin(self, name, spelled, args, kw))
        return alist
    if name == "list":
        @functools.wraps(original)
        def list_(self, *args, **kw):
            call = _begin(self, name, spelled, args, kw)
            if call is None:
                return original(self, *args, **kw)
            try:
                return _iterate(self, original(self, *args, **kw), call)
            except BaseException as exc:
                self._parity_calls.finish(call, raised=exc)
                raise
        return list_
    if spelled.startswith("a"):
        @functools.wraps(original)
        async def acall(self, *args, **kw):
            call = _begin(self, name, spelled, args, kw)
            if call is None:
                return await original(self, *args, **kw)
            token = _INSIDE.set(True)
            try:
                result = await original(self, *args, **kw)
            except BaseException as exc:
                self._parity_calls.finish(call, raised=exc)
                raise
            finally:
                _INSIDE.reset(token)
            self._parity_calls.finish(call, result)
            return result
        return acall

    @functools.wraps(original)
    def scall(self, *args, **kw):
        call = _begin(self, name, spelled, args, kw)
        if call is None:
            return original(self, *args, **kw)
        token = _INSIDE.set(True)
        try:
            result = original(self, *args, **kw)
        except BaseException as exc:
            self._parity_calls.finish(call, raised=exc)
            raise
        finally:
            _INSIDE.reset(token)
        self._parity_calls.finish(call, result)
        return result
    return scall


def _begin(saver: Any, name: str, spelled: str, args: tuple, kw: dict) -> Call | None:
    """A new recorded call, or None inside another watched call (or on a saver no Calls is attached to)."""
    calls = getattr(saver, "_parity_calls", None)
    if calls is None or _INSIDE.get():
        return None
    return calls.begin(name, args, kw, spelled)


def _iterate(saver: Any, iterator, call: Call):
    """list()'s items as they are yielded; each next() counts as inside the call (not the caller's code between)."""
    call.items = []
    iterator = iter(iterator)
    while True:
        token = _INSIDE.set(True)
        try:
            item = next(iterator)
        except StopIteration:
            saver._parity_calls.finish(call)
            return
        except BaseException as exc:
            saver._parity_calls.finish(call, raised=exc)
            raise
        finally:
            _INSIDE.reset(token)
        call.items.append(item)
        yield item


async def _aiterate(saver: Any, iterator, call: Call | None):
    if call is None:
        async for item in iterator:
            yield item
        return
    call.items = []
    while True:
        token = _INSIDE.set(True)
        try:
            item = await iterator.__anext__()
        except StopAsyncIteration:
            saver._parity_calls.finish(call)
            return
        except BaseException as exc:
            saver._parity_calls.finish(call, raised=exc)
            raise
        finally:
            _INSIDE.reset(token)
        call.items.append(item)
        yield item
