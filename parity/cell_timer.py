"""The compat cell time limit: a hung cell fails as "timed out" under every event loop, sync or async."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

# Why not pytest-timeout's signal method: its SIGALRM handler raises wherever the main thread happens to be. Inside
# a loop's own callback (uvloop reads signals in Loop._read_from_self; any Handle._run) asyncio and uvloop catch
# that exception, log "Exception in callback" and run on, so an async cell on uvloop ran its hang to the end and was
# recorded as passed. Here an alarm outside a task cancels the loop's tasks instead, and fires again until it lands.
RETRY_S = 1.0  # the alarm fires again this often until the cell has stopped: a swallowed first try is not the end


class CellTimeout(BaseException):
    """Raised into a cell that ran past --parity-timeout; the report says "timed out".

    A BaseException, like pytest's own outcomes: the `except Exception` of a graph node, of LangGraph or of our
    judge (which records a scenario's exceptions as trace entries) must not turn a hang into an answer.
    """


class CellTimer:
    """SIGALRM-based limit for one cell (POSIX; `start` returns False where there is no SIGALRM)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.fired = 0
        self._previous = None

    def message(self) -> str:
        return f"timed out after {self.seconds:g} s (a saver or graph call hung; see --parity-timeout)"

    def start(self) -> bool:
        if not self.seconds or not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
            return False
        self._previous = signal.signal(signal.SIGALRM, self._on_alarm)
        signal.setitimer(signal.ITIMER_REAL, self.seconds, RETRY_S)
        return True

    def stop(self) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        if self._previous is not None:
            signal.signal(signal.SIGALRM, self._previous)
            self._previous = None

    def _on_alarm(self, signum, frame) -> None:
        self.fired += 1
        loop = asyncio._get_running_loop()  # the handler runs in the main thread: the loop running the cell, if any
        if loop is not None and asyncio.current_task(loop) is None:
            # Between tasks (the loop is waiting, or in a callback of its own): a raise would be swallowed there.
            # call_soon_threadsafe, not call_soon: it also wakes a selector loop that waits in select().
            loop.call_soon_threadsafe(self._cancel_all, loop)
            return
        raise CellTimeout(self.message())


    def _cancel_all(self, loop: asyncio.AbstractEventLoop) -> None:
        for task in asyncio.all_tasks(loop):
            task.cancel(self.message())


class DaemonPool(ThreadPoolExecutor):
    """A loop's default executor whose threads never keep the process alive.

    asyncio runs a sync graph node in the loop's default executor. When such a node hangs and its cell times out,
    the thread cannot be stopped; with the stdlib ThreadPoolExecutor, closing the loop (and exiting Python) would
    wait for it forever. Here shutdown waits at most ABANDON_AFTER_S, then the daemon thread is left to die with
    the process.
    """

    ABANDON_AFTER_S = 2.0

    def __init__(self, max_workers: int | None = None) -> None:
        # A ThreadPoolExecutor only by type (asyncio's set_default_executor insists); its own queue and threads
        # stay unused: submit and shutdown below are the whole pool.
        super().__init__(max_workers)
        import os
        import queue

        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = threading.Semaphore(0)
        self._lock = threading.Lock()
        self._max = max_workers or min(32, (os.cpu_count() or 1) + 4)  # ThreadPoolExecutor's default
        self._closed = False

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new futures after shutdown")
            self._queue.put((future, fn, args, kwargs))
            if not self._idle.acquire(blocking=False) and len(self._threads) < self._max:
                thread = threading.Thread(target=self._work, daemon=True, name=f"parity-pool-{len(self._threads)}")
                thread.start()
                self._threads.append(thread)
        return future

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            future, fn, args, kwargs = item
            del item
            if future.set_running_or_notify_cancel():
                try:
                    result = fn(*args, **kwargs)
                except BaseException as exc:  # handed to the awaiting coroutine, as ThreadPoolExecutor does
                    future.set_exception(exc)
                else:
                    future.set_result(result)
            del future, fn, args, kwargs
            self._idle.release()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        for _ in threads:
            self._queue.put(None)
        if wait:
            deadline = time.monotonic() + self.ABANDON_AFTER_S
            for thread in threads:
                thread.join(max(0.0, deadline - time.monotonic()))

