"""Known client-side slowdowns for calibration: a saver method that first busy-waits a stated share of its own median.

`--slowdown redis:put=0.2` wraps every saver of backend `redis` that the benchmarks open (in this process and in
the worker processes) so that each `put`/`aput` spins on the client for 20% of the median time of that method's
calls so far, then calls the saver. Nothing inside the saver or the server changes: the wrapper is a stand-in for
a change in the saver's own code that costs that much more per call, which is what `parity compare` should catch.
The run records what was injected (`run.slowdowns`), and compare says so beside its verdict.
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver

from parity.errors import ParityUsageError

# The saver methods a slowdown may name, with their async twins. A graph step calls several of them (a `put` slowdown
# slows graph_step too: that is what a slower put does to an app).
METHODS = {"put": "aput", "get_tuple": "aget_tuple", "list": "alist", "put_writes": "aput_writes",
           "delete_thread": "adelete_thread"}
MAX_SHARE = 10.0  # +1000%: beyond that the figure is no longer "a slower saver" but a stalled one
RESAMPLE_EVERY = 16  # calls between recomputing the median: the wrapper's own cost stays well under a microsecond


@dataclass(frozen=True)
class Slowdown:
    backend: str
    method: str
    share: float

    def label(self) -> str:
        return f"{self.backend}:{self.method}=+{self.share:.0%}"


def parse(value: str) -> Slowdown:
    """BACKEND:METHOD=SHARE (SHARE a fraction, 0.2, or a percentage, 20%)."""
    fix = f"give BACKEND:METHOD=SHARE, e.g. redis:put=0.2 (methods: {', '.join(METHODS)})"
    target, _, raw = value.partition("=")
    backend, _, method = target.partition(":")
    if not backend or method not in METHODS or not raw:
        raise ParityUsageError(f"--slowdown {value!r}: not BACKEND:METHOD=SHARE with a known method", fix)
    try:
        share = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise ParityUsageError(f"--slowdown {value!r}: {raw!r} is not a number", fix) from None
    if not 0 < share <= MAX_SHARE:
        raise ParityUsageError(f"--slowdown {value!r}: the share must be above 0 and at most {MAX_SHARE:g}", fix)
    return Slowdown(backend, method, share)


def resolve(values: list[str] | None, given: dict[str, Any]) -> list[Slowdown]:
    return [parse(v) for v in values or []]


class _Median:
    """The running median of one method's call times (ns), recomputed every RESAMPLE_EVERY calls."""

    def __init__(self) -> None:
        self.sorted: list[int] = []
        self.value = 0

    def add(self, ns: int) -> None:
        bisect.insort(self.sorted, ns)
        if len(self.sorted) % RESAMPLE_EVERY == 1 or len(self.sorted) < RESAMPLE_EVERY:
            self.value = self.sorted[len(self.sorted) // 2]


def _spin(ns: int) -> None:
    """Busy-wait (not sleep: a sleep gives the CPU away and is rounded up to the scheduler's tick)."""
    end = time.perf_counter_ns() + ns
    while time.perf_counter_ns() < end:
        pass


class Slowed(BaseCheckpointSaver):
    """A saver that answers exactly as `inner` does; the named methods first spin share x their running median."""

    def __init__(self, inner: BaseCheckpointSaver, shares: dict[str, float]) -> None:
        super().__init__(serde=inner.serde)
        self.inner, self.shares = inner, shares
        self.medians = {m: _Median() for m in shares}

    @property
    def config_specs(self):
        return self.inner.config_specs

    def get_next_version(self, current, channel):
        return self.inner.get_next_version(current, channel)

    def __getattr__(self, name: str) -> Any:  # anything else a saver offers (setup, conn, ...): the inner one's
        if name == "inner":  # not set yet (during __init__): no recursion through __getattr__
            raise AttributeError(name)
        return getattr(self.inner, name)

    def _before(self, method: str) -> int:
        share = self.shares.get(method)
        if share is not None:
            _spin(int(share * self.medians[method].value))
        return time.perf_counter_ns()

    def _after(self, method: str, start: int) -> None:
        if method in self.medians:
            self.medians[method].add(time.perf_counter_ns() - start)

    def _call(self, method: str, *args: Any, **kw: Any) -> Any:
        start = self._before(method)
        try:
            return getattr(self.inner, method)(*args, **kw)
        finally:
            self._after(method, start)

    async def _acall(self, method: str, *args: Any, **kw: Any) -> Any:
        start = self._before(method)
        try:
            return await getattr(self.inner, METHODS[method])(*args, **kw)
        finally:
            self._after(method, start)

    def get_tuple(self, config):
        return self._call("get_tuple", config)

    def list(self, config, **kw):
        start = self._before("list")
        try:
            yield from self.inner.list(config, **kw)
        finally:
            self._after("list", start)

    def put(self, config, checkpoint, metadata, new_versions):
        return self._call("put", config, checkpoint, metadata, new_versions)

    def put_writes(self, config, writes, task_id, task_path=""):
        return self._call("put_writes", config, writes, task_id, task_path)

    def delete_thread(self, thread_id):
        return self._call("delete_thread", thread_id)

    async def aget_tuple(self, config):
        return await self._acall("get_tuple", config)

    async def alist(self, config, **kw):
        start = self._before("list")
        try:
            async for item in self.inner.alist(config, **kw):
                yield item
        finally:
            self._after("list", start)

    async def aput(self, config, checkpoint, metadata, new_versions):
        return await self._acall("put", config, checkpoint, metadata, new_versions)

    async def aput_writes(self, config, writes, task_id, task_path=""):
        return await self._acall("put_writes", config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id):
        return await self._acall("delete_thread", thread_id)


def wrap(saver: Any, backend: str, slowdowns: list[Slowdown]) -> Any:
    """`saver` itself when no slowdown names `backend`, else a Slowed around it."""
    shares = {s.method: s.share for s in slowdowns if s.backend == backend}
    return Slowed(saver, shares) if shares else saver
