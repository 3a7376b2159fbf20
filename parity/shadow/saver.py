"""ShadowSaver: a drop-in checkpointer served by the primary, mirroring writes to a candidate and comparing reads."""

from __future__ import annotations

import pickle
import queue
import random
import threading
import time
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver

from parity.shadow.mirror import BATCH_S, Mirror, Served, trace
from parity.shadow.record import RotatingJsonl, Tally
from parity.shadow.stores import describe, store_of

_STOP = object()
ISOLATIONS = ("thread", "process")


def _thread(config) -> str | None:
    return ((config or {}).get("configurable") or {}).get("thread_id")


PLAIN = (str, int, float, bool, type(None))


def sidecar_item(kind: str, op: str, thread: str | None, args: tuple, result) -> bytes:
    """An item for the sidecar, pickled in two layers: the outer one holds plain values only, so the sidecar always
    knows the item's thread, even when the inner one (the app's values) cannot be unpickled there (a class defined
    in the app's __main__, say): that write is then a counted drop of that thread, not a dead sidecar."""
    inner = pickle.dumps((args, result), protocol=pickle.HIGHEST_PROTOCOL)
    return pickle.dumps((kind, op, thread, inner), protocol=pickle.HIGHEST_PROTOCOL)


def snapshot(op: str, result) -> Any:
    """A sampled read's result as served, for the worker to normalise: pickled bytes, or its Trace when pickle cannot
    carry it (a value the app made unpicklable)."""
    try:
        return Served(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # noqa: BLE001 - normalised now instead: slower, same judgement
        return trace(op, result)


def _portable(config):
    """The part of a config a saver reads, fit to cross into the sidecar: LangGraph's run config also carries
    callbacks and its runtime (`__pregel_*`), which pickle cannot carry and no saver reads. Savers read
    `configurable` (thread_id, checkpoint_ns, checkpoint_id) and copy plain values of it and of `metadata` into
    checkpoint metadata (langgraph's get_checkpoint_metadata skips `__` keys and non-plain values): that is kept."""
    if not isinstance(config, dict):
        return config
    out = {}
    for key in ("configurable", "metadata"):
        part = config.get(key)
        if isinstance(part, dict):
            out[key] = {k: v for k, v in part.items() if not str(k).startswith("__") and isinstance(v, PLAIN)}
    return out


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

    isolation="process" runs the candidate in a sidecar process at the lowest CPU priority instead (see
    parity/shadow/sidecar.py): `candidate` is then a factory returning the candidate saver (a module-level function,
    a functools.partial of one, or "module:function"), since a saver's connections cannot move between processes.
    The request path then pickles each mirrored write and each sampled read's result; normalising and judging
    happen in the sidecar.
    """

    def __init__(self, primary: BaseCheckpointSaver, candidate: Any, *, out_dir: str | Path | None = None,
                 read_fraction: float = 0.01, queue_size: int = 10_000, payload_cap: int = 4096,
                 hash_values: bool = False, rotate_bytes: int = 10_000_000, seed: int | None = None,
                 isolation: str = "thread") -> None:
        if not 0.0 <= read_fraction <= 1.0:
            raise ValueError(f"read_fraction must be within 0..1, got {read_fraction!r}")
        if isolation not in ISOLATIONS:
            raise ValueError(f"isolation must be one of {', '.join(ISOLATIONS)}, got {isolation!r}")
        if candidate is primary:
            raise ValueError("the candidate is the primary saver itself: shadow a different store")
        if isolation == "process" and isinstance(candidate, BaseCheckpointSaver):
            raise ValueError("isolation='process' builds the candidate in its own process: give a factory that "
                             f"returns it (a module-level function, functools.partial of one, or 'module:function'), "
                             f"not a {type(candidate).__name__} instance")
        if isolation == "thread":
            self._refuse(primary, store_of(candidate), candidate)
        super().__init__(serde=primary.serde)
        self.primary, self.candidate, self.isolation = primary, candidate, isolation
        self.read_fraction, self.payload_cap, self.hash_values = read_fraction, payload_cap, hash_values
        self.random = random.Random(seed)
        self.tally = Tally()  # the app's side; with isolation="thread" the worker's too
        self.closed = False
        self._sidecar_part: dict[str, Any] | None = None  # the sidecar's tally as of its last answer
        if isolation == "process":
            from parity.shadow.sidecar import Sidecar

            self.sidecar = Sidecar(candidate, queue_size=queue_size, out_dir=None if out_dir is None else str(out_dir),
                                   rotate_bytes=rotate_bytes, payload_cap=payload_cap, hash_values=hash_values,
                                   read_fraction=read_fraction)
            try:
                self._refuse(primary, self.sidecar.store, None)
            except ValueError:
                self.sidecar.stop(self.tally.to_dict(), 5.0)
                raise
            self.out = None  # the sidecar writes the JSON lines
            return
        self.out = RotatingJsonl(out_dir, rotate_bytes) if out_dir is not None else None
        self.mirror = Mirror(candidate, self.tally, self.out, payload_cap=payload_cap, hash_values=hash_values)
        self.queue: queue.Queue = queue.Queue(maxsize=queue_size)
        self.worker = threading.Thread(target=self._work, name="parity-shadow", daemon=True)
        self.worker.start()

    @staticmethod
    def _refuse(primary, candidate_store, candidate) -> None:
        same = store_of(primary)
        if same is not None and same == (tuple(candidate_store) if candidate_store is not None else None):
            # mirrored writes would land in the app's own store
            raise ValueError(f"the candidate writes to the primary's own store ({describe(same)}): shadow a "
                             "different server, database, schema, key prefix or file")
        if candidate is not None and hasattr(candidate, "loop"):  # the upstream async savers bridge onto this loop
            raise ValueError(f"the candidate {type(candidate).__name__} is an async saver bound to an event loop: "
                             "give its sync counterpart (e.g. RedisSaver for AsyncRedisSaver); ShadowSaver calls the "
                             "candidate on its own worker thread, so an async app's loop never waits for it")

    @property
    def divergences(self) -> list[dict[str, Any]]:
        """Divergences found so far (up to 1000; the JSON lines keep them all); with a sidecar, as of its last
        answer (flush, summary or close)."""
        if self.isolation == "thread":
            return self.tally.divergences
        return list((self._sidecar_part or {}).get("divergences", []))

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
        self.tally.record(side, op, seconds)

    def _count(self, key: str, thread: str | None = None) -> None:
        self.tally.count(key, thread)

    def _mirror(self, op: str, config, args: tuple) -> None:
        thread = _thread(config)
        if self.closed:
            return self._count("dropped_after_close", thread)
        if self.isolation == "process":
            try:
                portable = (_portable(args[0]),) + args[1:] if op != "delete_thread" else args
                blob = sidecar_item("write", op, thread, portable, None)
            except Exception as err:  # noqa: BLE001 - a value pickle cannot carry is a gap in the mirror, counted
                return self._count(f"dropped_unpicklable.{type(err).__name__}", thread)
            why = self.sidecar.send(blob)
            return self._count("mirrored_queued") if why is None else self._count(f"dropped_{why}", thread)
        try:
            self.queue.put_nowait(("write", op, thread, args, None))
            self._count("mirrored_queued")
        except queue.Full:
            self._count("dropped_queue_full", thread)

    def _sampled(self, config) -> bool:
        return (not self.closed and _thread(config) is not None and self.read_fraction > 0
                and self.random.random() < self.read_fraction)

    def _sample(self, op: str, config, kw: dict, result) -> None:
        if self._sampled(config):
            self._enqueue_read(op, config, kw, result)

    def _enqueue_read(self, op: str, config, kw: dict, result) -> None:
        thread = _thread(config)
        if self.tally.is_unreliable(thread):  # its mirror has a gap: comparing would report the gap, not Redis
            return self._count("reads_skipped_unreliable")
        # Captured now, on the request path (sampled reads only): the app may change the returned objects in place
        # (LangGraph builds the next checkpoint on the one it read), so a later look would not see what was served.
        # It is pickled here (a copy in C, several times cheaper than normalising in Python) and normalised by the
        # worker or the sidecar; a result pickle cannot carry is normalised here instead.
        try:
            expected = (sidecar_item("read", op, thread, (_portable(config), kw), result)
                        if self.isolation == "process" else snapshot(op, result))
        except Exception as err:  # noqa: BLE001 - the shadow must never fail the app's read
            return self._count(f"reads_not_compared_unviewable.{type(err).__name__}")
        if self.isolation == "process":
            why = self.sidecar.send(expected)
            # a skipped comparison loses nothing from the mirror: the thread stays reliable
            return self._count("reads_sampled") if why is None else self._count(f"reads_not_compared_{why}")
        try:
            self.queue.put_nowait(("read", op, thread, (config, kw), expected))
            self._count("reads_sampled")
        except queue.Full:
            self._count("reads_not_compared_queue_full")

    # ---- the worker (isolation="thread"): all candidate calls happen here -------------------------------------
    def _work(self) -> None:
        while True:
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                # Let items gather rather than wake for each: a wake-up takes the GIL from the app thread that
                # just queued the item. BATCH_S bounds how late a mirrored write reaches the candidate.
                time.sleep(BATCH_S)
                continue
            try:
                if item is _STOP:
                    return
                self.mirror.handle(item)
            except Exception as err:  # noqa: BLE001 - the worker must outlive any one bad item; counted
                self._count(f"worker_error.{type(err).__name__}")
            finally:
                self.queue.task_done()

    # ---- end of a recording --------------------------------------------------------------------------------------
    def flush(self, timeout: float | None = None) -> bool:
        """Wait until the candidate side has handled everything queued so far (tests, summaries); False on timeout."""
        if self.isolation == "process":
            if self.closed:
                return True
            answer = self.sidecar.ask(timeout)
            if answer is not None:
                self._sidecar_part = answer
            return answer is not None
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.queue.unfinished_tasks:
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def backlog(self) -> int | None:
        """Mirrored items waiting for the candidate (isolation="thread"); None with a sidecar, whose queue is a pipe
        of bytes."""
        return self.queue.qsize() if self.isolation == "thread" else None

    def summary(self) -> dict[str, Any]:
        """Counts, unreliable threads and latency so far; with a sidecar, as of its last answer merged with the
        app's side now (call flush() first for an up-to-date one)."""
        if self.isolation == "process":
            merged = self.tally.merged(self._sidecar_part or {})
            extra = {"isolation": "process", "sidecar_priority": self.sidecar.priority}
        else:
            merged, extra = self.tally.to_dict(), {}
        return {"kind": "summary", "at": time.time(), "read_fraction": self.read_fraction, **extra,
                **{k: v for k, v in merged.items() if k != "divergences"}}

    def close(self, timeout: float = 10.0) -> dict[str, Any]:
        """Stop the candidate side (after it drains its queue, up to timeout) and write the summary line."""
        if self.closed:
            return self.summary()
        self.closed = True
        if self.isolation == "process":
            final = self.sidecar.stop(self.tally.to_dict(), timeout)
            if final is None:
                self._count("close_sidecar_unanswered")  # stopped (killed if needed); its part of the counts is lost
            else:
                self._sidecar_part = final
            return self.summary()
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
