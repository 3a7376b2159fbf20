"""ShadowSaver: a drop-in checkpointer served by the primary, mirroring writes to a candidate and comparing reads."""

from __future__ import annotations

import queue
import random
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver

from parity.judging.observe import tuple_view
from parity.judging.trace import Trace, diff, first_difference
from parity.shadow.record import Histogram, RotatingJsonl, payload
from parity.shadow.stores import describe, store_of

_STOP = object()


def _thread(config) -> str | None:
    return ((config or {}).get("configurable") or {}).get("thread_id")


class ShadowSaver(BaseCheckpointSaver):
    """Every call is answered by the primary and returns exactly its result; the candidate only ever runs on one
    worker thread, fed by a bounded FIFO queue, so it can neither block nor fail the app.

    Writes (put, put_writes, delete_thread) are mirrored in call order. A sampled read (get_tuple, list) is queued
    behind the writes before it, so when the worker reaches it the candidate has caught up for that thread; both
    results are normalised and diffed by the suite's judge (parity.judging). A write that cannot be mirrored (queue
    full, candidate raised) is dropped and counted, and its thread is marked unreliable: its reads are no longer
    compared (a gap in the mirror is not a divergence).

    The candidate is called through its sync API, on that worker thread only, also when the app uses the async API:
    aput, aput_writes, adelete_thread and the async reads await the primary, then only enqueue (put_nowait), so
    they never wait for the candidate. An async saver as candidate is refused: its sync methods run its coroutines
    on the event loop it was set up on (the app's; AsyncRedisSaver and AsyncPostgresSaver do this), which would put
    the candidate's work on the app's loop and could hang close() called from that loop.
    """

    def __init__(self, primary: BaseCheckpointSaver, candidate: BaseCheckpointSaver, *, out_dir: str | Path | None = None,
                 read_fraction: float = 0.01, queue_size: int = 10_000, payload_cap: int = 4096,
                 hash_values: bool = False, rotate_bytes: int = 10_000_000, seed: int | None = None) -> None:
        if not 0.0 <= read_fraction <= 1.0:
            raise ValueError(f"read_fraction must be within 0..1, got {read_fraction!r}")
        if candidate is primary:
            raise ValueError("the candidate is the primary saver itself: shadow a different store")
        same = store_of(primary)
        if same is not None and same == store_of(candidate):  # mirrored writes would land in the app's own store
            raise ValueError(f"the candidate writes to the primary's own store ({describe(same)}): shadow a "
                             "different server, database, schema, key prefix or file")
        if hasattr(candidate, "loop"):  # the upstream async savers bridge sync calls onto this loop
            raise ValueError(f"the candidate {type(candidate).__name__} is an async saver bound to an event loop: "
                             "give its sync counterpart (e.g. RedisSaver for AsyncRedisSaver); ShadowSaver calls the "
                             "candidate on its own worker thread, so an async app's loop never waits for it")
        super().__init__(serde=primary.serde)
        self.primary, self.candidate = primary, candidate
        self.read_fraction, self.payload_cap, self.hash_values = read_fraction, payload_cap, hash_values
        self.random = random.Random(seed)
        self.out = RotatingJsonl(out_dir, rotate_bytes) if out_dir is not None else None
        self.queue: queue.Queue = queue.Queue(maxsize=queue_size)
        self.lock = threading.Lock()  # counters and sets are touched by app threads and the worker
        self.counts: Counter = Counter()
        self.unreliable: set[str] = set()
        self.divergences: list[dict[str, Any]] = []  # also kept in memory for tests and summarize (capped)
        self.latency: dict[str, Histogram] = {}
        self.closed = False
        self.worker = threading.Thread(target=self._work, name="parity-shadow", daemon=True)
        self.worker.start()

    # ---- what the app calls: the primary answers --------------------------------------------------------------
    @property
    def config_specs(self):
        return self.primary.config_specs

    def get_next_version(self, current, channel):
        return self.primary.get_next_version(current, channel)

    def get_tuple(self, config):
        result = self._timed("primary", "get_tuple", self.primary.get_tuple, config)
        self._sample("get_tuple", config, {}, result)
        return result

    def list(self, config, *, filter=None, before=None, limit=None):
        kw = {"filter": filter, "before": before, "limit": limit}
        if not self._sampled(config):
            return self._timed("primary", "list", self.primary.list, config, **kw)
        items = self._timed("primary", "list", lambda: list(self.primary.list(config, **kw)))
        self._enqueue_read("list", config, kw, items)
        return iter(items)

    def put(self, config, checkpoint, metadata, new_versions):
        result = self._timed("primary", "put", self.primary.put, config, checkpoint, metadata, new_versions)
        self._mirror("put", config, (config, checkpoint, metadata, new_versions))
        return result

    def put_writes(self, config, writes, task_id, task_path=""):
        result = self._timed("primary", "put_writes", self.primary.put_writes, config, writes, task_id, task_path)
        self._mirror("put_writes", config, (config, list(writes), task_id, task_path))
        return result

    def delete_thread(self, thread_id):
        result = self._timed("primary", "delete_thread", self.primary.delete_thread, thread_id)
        self._mirror("delete_thread", {"configurable": {"thread_id": thread_id}}, (thread_id,))
        return result

    async def aget_tuple(self, config):
        result = await self._atimed("get_tuple", self.primary.aget_tuple(config))
        self._sample("get_tuple", config, {}, result)
        return result

    async def alist(self, config, *, filter=None, before=None, limit=None):
        kw = {"filter": filter, "before": before, "limit": limit}
        if not self._sampled(config):
            start = time.perf_counter()
            async for item in self.primary.alist(config, **kw):
                yield item
            self._record("primary", "list", time.perf_counter() - start)  # includes the app's time between items
            return
        start = time.perf_counter()
        items = [item async for item in self.primary.alist(config, **kw)]
        self._record("primary", "list", time.perf_counter() - start)
        self._enqueue_read("list", config, kw, items)
        for item in items:
            yield item

    async def aput(self, config, checkpoint, metadata, new_versions):
        result = await self._atimed("put", self.primary.aput(config, checkpoint, metadata, new_versions))
        self._mirror("put", config, (config, checkpoint, metadata, new_versions))
        return result

    async def aput_writes(self, config, writes, task_id, task_path=""):
        result = await self._atimed("put_writes", self.primary.aput_writes(config, writes, task_id, task_path))
        self._mirror("put_writes", config, (config, list(writes), task_id, task_path))
        return result

    async def adelete_thread(self, thread_id):
        result = await self._atimed("delete_thread", self.primary.adelete_thread(thread_id))
        self._mirror("delete_thread", {"configurable": {"thread_id": thread_id}}, (thread_id,))
        return result

    # ---- request path helpers: timing and non-blocking enqueue -----------------------------------------------
    def _timed(self, side: str, op: str, fn, *args, **kw):
        start = time.perf_counter()
        try:
            return fn(*args, **kw)
        finally:
            self._record(side, op, time.perf_counter() - start)

    async def _atimed(self, op: str, awaitable):
        start = time.perf_counter()
        try:
            return await awaitable
        finally:
            self._record("primary", op, time.perf_counter() - start)

    def _record(self, side: str, op: str, seconds: float) -> None:
        with self.lock:
            self.latency.setdefault(f"{side}.{op}", Histogram()).record(seconds)

    def _count(self, key: str, thread: str | None = None) -> None:
        with self.lock:
            self.counts[key] += 1
            if thread is not None and key.startswith("dropped"):
                self.unreliable.add(thread)

    def _mirror(self, op: str, config, args: tuple) -> None:
        if self.closed:
            return self._count("dropped_after_close", _thread(config))
        try:
            self.queue.put_nowait(("write", op, _thread(config), args, None))
            self._count("mirrored_queued")
        except queue.Full:
            self._count("dropped_queue_full", _thread(config))

    def _sampled(self, config) -> bool:
        return (not self.closed and _thread(config) is not None and self.read_fraction > 0
                and self.random.random() < self.read_fraction)

    def _sample(self, op: str, config, kw: dict, result) -> None:
        if self._sampled(config):
            self._enqueue_read(op, config, kw, result)

    def _enqueue_read(self, op: str, config, kw: dict, result) -> None:
        # Normalised now, on the request path (sampled reads only): the app may change the returned objects in place
        # (LangGraph builds the next checkpoint on the one it read), so a later look would not see what was served.
        try:
            expected = self._trace(op, result)
        except Exception as err:  # noqa: BLE001 - the shadow must never fail the app's read
            return self._count(f"reads_not_compared_unviewable.{type(err).__name__}")
        try:
            self.queue.put_nowait(("read", op, _thread(config), (config, kw), expected))
            self._count("reads_sampled")
        except queue.Full:  # a skipped comparison loses nothing from the mirror: the thread stays reliable
            self._count("reads_not_compared_queue_full")

    # ---- the worker: all candidate calls happen here -----------------------------------------------------------
    def _work(self) -> None:
        while True:
            item = self.queue.get()
            try:
                if item is _STOP:
                    return
                kind, op, thread, args, expected = item
                if kind == "write":
                    self._apply(op, thread, args)
                else:
                    self._compare(op, thread, args, expected)
            except Exception as err:  # noqa: BLE001 - the worker must outlive any one bad item; counted
                self._count(f"worker_error.{type(err).__name__}")
            finally:
                self.queue.task_done()

    def _apply(self, op: str, thread: str | None, args: tuple) -> None:
        start = time.perf_counter()
        try:
            getattr(self.candidate, op)(*args)
            self._count("mirrored_applied")
        except Exception as err:  # noqa: BLE001 - a failing candidate is counted, never raised to the app
            self._count("dropped_candidate_error", thread)
            self._count(f"candidate_error.{op}.{type(err).__name__}")
        finally:
            self._record("candidate", op, time.perf_counter() - start)

    def _compare(self, op: str, thread: str, args: tuple, expected: Trace) -> None:
        with self.lock:
            unreliable = thread in self.unreliable
        if unreliable:
            return self._count("reads_skipped_unreliable")
        config, kw = args
        start = time.perf_counter()
        try:
            got = self.candidate.get_tuple(config) if op == "get_tuple" else list(self.candidate.list(config, **kw))
        except Exception as err:  # noqa: BLE001 - the candidate failing a read is counted, not a divergence
            self._count(f"candidate_error.{op}.{type(err).__name__}")
            return self._count("reads_not_compared_candidate_error")
        finally:
            self._record("candidate", op, time.perf_counter() - start)
        actual = self._trace(op, got)
        text = diff(expected, actual)
        self._count("reads_compared")
        if text is not None:
            self._divergence(thread, op, config, kw, text, expected, actual)

    @staticmethod
    def _trace(op: str, result) -> Trace:
        trace = Trace()
        if op == "get_tuple":
            trace.add(op, tuple_view(result, links=True))
        else:
            trace.add(op, [tuple_view(t, links=True) for t in result])
        return trace

    def _divergence(self, thread, op, config, kw, text, expected: Trace, actual: Trace) -> None:
        record = {"kind": "divergence", "thread": thread, "op": op, "at": time.time(),
                  "first_difference": None if self.hash_values else first_difference(text),
                  "diff": None if self.hash_values else text[: self.payload_cap],
                  "primary": payload(expected.to_dict(), self.payload_cap, self.hash_values),
                  "candidate": payload(actual.to_dict(), self.payload_cap, self.hash_values),
                  "args": payload({"config": config, **kw}, self.payload_cap, self.hash_values)}
        self._count("divergences")
        with self.lock:
            if len(self.divergences) < 1000:
                self.divergences.append(record)
        if self.out is not None:
            self.out.write(record)

    # ---- end of a recording --------------------------------------------------------------------------------------
    def flush(self, timeout: float | None = None) -> bool:
        """Wait until the worker has handled everything queued so far (tests, summaries); False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.queue.unfinished_tasks:
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def summary(self) -> dict[str, Any]:
        with self.lock:
            return {"kind": "summary", "at": time.time(), "read_fraction": self.read_fraction,
                    "counts": dict(sorted(self.counts.items())), "unreliable_threads": sorted(self.unreliable),
                    "latency": {k: h.to_dict() for k, h in sorted(self.latency.items())}}

    def close(self, timeout: float = 10.0) -> dict[str, Any]:
        """Stop the worker (after it drains the queue, up to timeout) and write the summary line."""
        if not self.closed:
            self.closed = True
            try:
                self.queue.put(_STOP, timeout=timeout)
            except queue.Full:
                self._count("close_queue_full")
            self.worker.join(timeout)
            if self.worker.is_alive():
                self._count("close_worker_still_running")  # a hung candidate call: the daemon thread is left
            if self.out is not None:
                self.out.write(self.summary())
        return self.summary()

    def __enter__(self) -> "ShadowSaver":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
