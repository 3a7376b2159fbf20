"""ShadowSaver(isolation="process"): the candidate runs in a sidecar process at the lowest CPU priority.

Why: a shadow's worker thread in the app's process does the candidate's Python work (serialising, the client
library, the judge) under the app's GIL and on the app's CPU. Measured on a 2-CPU VM, that alone added 20-38% to
the app step's p50 (docs/shadow.md, "What the shadow costs the app"). A sidecar shares no GIL with the app, and at
SCHED_IDLE (Linux; elsewhere the lowest priority the platform has) it runs only while the app's CPU would
otherwise idle, e.g. while the app waits for its primary. What the app still pays: pickling each mirrored write
(and each sampled read's result) on the request path, and handing the bytes to a feeder thread.

Protocol over the sidecar's stdin and stdout (Channel), app -> sidecar: the app's sys.path, the settings, then pickled ("write"|"read", op, thread, args, result) items in call
order, ("ask", token) and ("stop", app_tally); sidecar -> app: ("ready", store, priority) or ("error", line),
("answer", token, tally) and ("final", tally), the sidecar's own part each time. A write the outbox cannot take (full, sidecar gone, unpicklable)
is dropped and counted on the app's side, and its thread is marked unreliable, as with isolation="thread".
"""

from __future__ import annotations

import collections
import contextlib
import importlib
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
import time
from typing import Any, Callable

from parity.shadow.mirror import BATCH_S
from parity.shadow.record import RotatingJsonl, Tally

# The CPU time the sidecar spends before it naps again, even with more to read: at most about half a CPU, above what
# a Redis candidate needs to keep up with one busy caller (~0.3 ms of client CPU per mirrored write, ~900 writes/s);
# 5 ms let it fall behind.
BURST_CPU_S = BATCH_S  # BATCH_S: mirror.py
READY_TIMEOUT_S = 60.0  # a spawned interpreter importing langgraph and a saver: ~1-3 s here, more on a cold disk


def check_factory(spec: Any) -> None:
    """The candidate is built in the sidecar, so what builds it must travel there: a 'module:function' string, or
    a callable pickle can name (a module-level function, or a functools.partial of one)."""
    if isinstance(spec, str):
        if ":" not in spec:
            raise ValueError(f"candidate {spec!r}: give 'module:function' (a function returning the candidate saver)")
        return
    if not callable(spec):
        raise ValueError(f"isolation='process' builds the candidate in its own process: give a factory that returns "
                         f"it (a module-level function, functools.partial of one, or 'module:function'), not "
                         f"{type(spec).__name__}")
    try:
        pickle.dumps(spec)
    except Exception as err:  # noqa: BLE001 - any pickling failure means the same thing here
        raise ValueError(f"the candidate factory {spec!r} cannot be sent to the sidecar process ({err}): use a "
                         "module-level function or functools.partial of one, not a lambda or a local function") from None


def _resolve(spec: Any) -> Callable[[], Any]:
    if isinstance(spec, str):
        module, _, name = spec.partition(":")
        return getattr(importlib.import_module(module), name)
    return spec


AUTOGROUP = "/proc/sys/kernel/sched_autogroup_enabled"


def autogroup_caveat(path: str = AUTOGROUP) -> str:
    """What SCHED_IDLE does not cover on this Linux. With autogroup on, the scheduler first shares a CPU between
    sessions, and a task's policy counts only inside its own: measured on a 2-CPU VM, a SCHED_IDLE spinner on the
    CPU of a Postgres started in its own session made each round trip wait for its slice, x7.2 the app's step,
    the same as a normal-priority spinner; on the app's own CPU it cost nothing."""
    try:
        with open(path, encoding="ascii") as f:
            on = f.read().strip() == "1"
    except OSError:
        return ""
    return (" (Linux autogroup is on: idle against the app's own session only; processes of other sessions on "
            "the same CPUs, such as a database server on this host, share CPU time with it equally)") if on else ""


def lower_priority() -> str:
    """The sidecar's own CPU priority, as low as the platform allows without privileges; returns what it got."""
    if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            return "SCHED_IDLE" + autogroup_caveat()
        except OSError:
            pass
    try:
        import psutil

        p = psutil.Process()
        if hasattr(psutil, "IDLE_PRIORITY_CLASS"):  # Windows
            p.nice(psutil.IDLE_PRIORITY_CLASS)
            return "IDLE_PRIORITY_CLASS"
        p.nice(19)
        return "nice 19"
    except Exception:  # noqa: BLE001 - then it runs at the app's priority, and says so
        return "unchanged (the platform refused a lower priority)"


class Channel:
    """Length-prefixed pickles over a pair of byte streams: the sidecar's stdin and stdout (plain pipes, on every
    platform; no multiprocessing, so the app's __main__ is never imported again in the sidecar)."""

    HEADER = struct.Struct("!I")

    def __init__(self, reader, writer) -> None:
        self.reader, self.writer = reader, writer

    def send_bytes(self, blob: bytes) -> None:
        data = memoryview(self.HEADER.pack(len(blob)) + blob)
        while data:  # a raw pipe may take part of it (a signal mid-write): send the rest
            written = self.writer.write(data)
            data = data[written if written is not None else len(data):]
        self.writer.flush()

    def send(self, obj: Any) -> None:
        self.send_bytes(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))

    def waiting(self) -> bool:
        """Whether bytes are ready to read now (POSIX select; elsewhere assume yes, i.e. never nap)."""
        if sys.platform == "win32":
            return True
        import select

        if getattr(self.reader, "peek", None) is not None and len(self.reader.peek(0) or b"") > 0:
            return True
        return bool(select.select([self.reader], [], [], 0)[0])

    def recv(self) -> Any:
        head = self._exactly(self.HEADER.size)
        return pickle.loads(self._exactly(self.HEADER.unpack(head)[0]))

    def _exactly(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.reader.read(n - len(data))
            if not chunk:
                raise EOFError("the other end closed the channel")
            data += chunk
        return data


def main() -> None:
    """The sidecar process (`python -m parity.shadow.sidecar`): build the candidate, then handle items until "stop"
    or until the app is gone (its end of stdin closes)."""
    _die_with_parent()
    # The protocol owns the real stdout; anything the candidate or a library prints goes to stderr instead.
    proto_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    channel = Channel(sys.stdin.buffer, proto_out)
    sys.path[:] = channel.recv()  # the app's import path first: the factory and the items' classes live there
    spec, out_dir, rotate_bytes, payload_cap, hash_values, read_fraction = channel.recv()
    serve(channel, spec, out_dir, rotate_bytes, payload_cap, hash_values, read_fraction)


def _die_with_parent() -> None:
    """End with the app even while blocked in a candidate call (a stalled server), when its closed pipe cannot wake
    this process: a watchdog thread checks the parent. (Not PR_SET_PDEATHSIG: it fires when the app *thread* that
    started the sidecar ends, e.g. a startup thread, not the app.)"""
    parent = os.getppid()

    def watch() -> None:
        import psutil

        while True:
            time.sleep(0.5)
            if os.getppid() != parent or not psutil.pid_exists(parent):
                os._exit(0)  # the app is gone: nothing to report to, nothing to flush for anyone
    threading.Thread(target=watch, name="parity-sidecar-watchdog", daemon=True).start()


def serve(channel: Channel, spec: Any, out_dir: str | None, rotate_bytes: int, payload_cap: int, hash_values: bool,
          read_fraction: float) -> None:
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from parity.shadow.mirror import Mirror
    from parity.shadow.stores import store_of

    priority = lower_priority()
    tally = Tally()
    with contextlib.ExitStack() as stack:
        try:
            made = _resolve(spec)()
            candidate = (made if isinstance(made, BaseCheckpointSaver) or not hasattr(made, "__enter__")
                         else stack.enter_context(made))
            if hasattr(candidate, "loop"):
                raise ValueError(f"the candidate {type(candidate).__name__} is an async saver bound to an event "
                                 "loop: return its sync counterpart (e.g. RedisSaver for AsyncRedisSaver)")
        except Exception as err:  # noqa: BLE001 - the app raises it as one line at construction
            channel.send(("error", f"{type(err).__name__}: {err}"))
            return
        channel.send(("ready", store_of(candidate), priority))
        out = RotatingJsonl(out_dir, rotate_bytes) if out_dir is not None else None
        mirror = Mirror(candidate, tally, out, payload_cap=payload_cap, hash_values=hash_values)
        burst = time.process_time()
        while True:
            if not channel.waiting() or time.process_time() - burst > BURST_CPU_S:
                # Work in bursts, then nap, also when more is waiting: let items gather instead of waking for each
                # one, and never stay runnable for long. A sidecar that always had something to read ran in every
                # idle moment of the app's CPU and was preempted at every wake-up of the app: with 64 async callers
                # a no-op candidate cost the app's step +13-17%, and 1% when the sidecar was stopped. The burst is
                # counted in CPU time, so waiting for the candidate's server does not shorten it (a wall-clock burst
                # let the mirror fall behind a Redis candidate). Every wake-up lands on the app's CPU (the sidecar
                # inherits the app's affinity).
                time.sleep(BATCH_S)
                burst = time.process_time()
            try:
                item = channel.recv()
            except (EOFError, OSError):
                return  # the app is gone: nothing left to report to
            kind = item[0]
            if kind == "ask":
                channel.send(("answer", item[1], tally.to_dict()))
            elif kind == "stop":
                merged = tally.merged(item[1])
                summary = {"kind": "summary", "at": time.time(), "read_fraction": read_fraction,
                           "isolation": "process", "sidecar_priority": priority,
                           **{k: v for k, v in merged.items() if k != "divergences"}}
                if out is not None:
                    out.write(summary)
                channel.send(("final", tally.to_dict()))  # its own part: the app merges it with its side again
                return
            else:
                _, op, thread, inner = item
                try:
                    args, result = pickle.loads(inner)
                except Exception as err:  # noqa: BLE001 - e.g. a class of the app's __main__: a gap, counted
                    tally.count(f"dropped_unpicklable_in_sidecar.{type(err).__name__}" if kind == "write" else
                                f"reads_not_compared_unpicklable_in_sidecar.{type(err).__name__}",
                                thread if kind == "write" else None)
                    continue
                try:
                    mirror.handle((kind, op, thread, args, result))
                except Exception as err:  # noqa: BLE001 - the sidecar must outlive any one bad item; counted
                    tally.count(f"worker_error.{type(err).__name__}")


class Sidecar:
    """The app's end: a writer that never blocks the request path (DirectWriter on POSIX, FeederWriter on Windows),
    and a reader thread that takes the sidecar's replies (so waiting for one can time out on every platform)."""

    def __init__(self, spec: Any, *, queue_size: int, out_dir: str | None, rotate_bytes: int, payload_cap: int,
                 hash_values: bool, read_fraction: float) -> None:
        check_factory(spec)
        self.process = subprocess.Popen([sys.executable, "-m", "parity.shadow.sidecar"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, bufsize=0)
        self.channel = Channel(self.process.stdout, self.process.stdin)
        self.replies: queue.Queue = queue.Queue()
        self.reader = threading.Thread(target=self._read, name="parity-shadow-replies", daemon=True)
        self.reader.start()
        try:
            self.channel.send(list(sys.path))
            self.channel.send((spec, out_dir, rotate_bytes, payload_cap, hash_values, read_fraction))
        except OSError:
            pass  # it died at once: the wait below says how
        first = self._reply(READY_TIMEOUT_S)
        if first is None:
            code = self._kill()
            raise ValueError(f"the shadow's sidecar process did not build the candidate within {READY_TIMEOUT_S:g} s"
                             if code is None or code == -9 else
                             f"the shadow's sidecar process exited while starting (exit code {code}; its error is "
                             "above, on stderr)")
        if first[0] == "error":
            self._kill()
            raise ValueError(f"the candidate factory {spec!r} failed in the sidecar: {first[1]}")
        _, self.store, self.priority = first
        self.asking = threading.Lock()  # one question at a time
        self.writer = (DirectWriter(self.process.stdin, queue_size) if DirectWriter.usable()
                       else FeederWriter(self.channel, queue_size))

    def _read(self) -> None:
        while True:
            try:
                self.replies.put(self.channel.recv())
            except (EOFError, OSError, pickle.UnpicklingError):
                self.replies.put(None)  # the sidecar is gone
                return

    def _reply(self, timeout: float | None) -> tuple | None:
        try:
            return self.replies.get(timeout=timeout)
        except queue.Empty:
            return None

    def send(self, blob: bytes, *, bounded: bool = True) -> str | None:
        """Hand an item's pickled bytes to the sidecar; None when sent, else why not ("queue_full", "sidecar_gone")."""
        return self.writer.send(Channel.HEADER.pack(len(blob)) + blob, bounded)

    def ask(self, timeout: float | None) -> dict[str, Any] | None:
        """The sidecar's tally once it has handled everything sent before; None if it did not answer in time."""
        with self.asking:
            token = time.monotonic_ns()
            deadline = None if timeout is None else time.monotonic() + timeout
            if self.send(pickle.dumps(("ask", token)), bounded=False) is not None or not self.writer.drain(deadline):
                return None
            while True:
                reply = self._reply(None if deadline is None else max(0.0, deadline - time.monotonic()))
                if reply is None:
                    return None
                if reply[0] == "answer" and reply[1] == token:
                    return reply[2]

    def stop(self, app_tally: dict[str, Any], timeout: float) -> dict[str, Any] | None:
        """Send the app's tally (the sidecar writes the merged summary line), get the sidecar's own back, end it."""
        final = None
        with self.asking:
            deadline = time.monotonic() + timeout
            if self.send(pickle.dumps(("stop", app_tally)), bounded=False) is None and self.writer.drain(deadline):
                while (reply := self._reply(max(0.0, deadline - time.monotonic()))) is not None:
                    if reply[0] == "final":
                        final = reply[1]
                        break
        self.writer.close(timeout)
        with contextlib.suppress(OSError):
            self.process.stdin.close()  # EOF: a sidecar that missed "stop" ends too
        try:
            self.process.wait(timeout if final is not None else 0.5)
        except subprocess.TimeoutExpired:
            self._kill()
        with contextlib.suppress(OSError):
            self.process.stdout.close()
        return final

    def _kill(self) -> int | None:
        """Stop the sidecar for good (a hung candidate call): it is ours, never left running."""
        if self.process.poll() is None:
            self.process.kill()
        try:
            return self.process.wait(5)
        except subprocess.TimeoutExpired:
            return None


def _until(state: Callable[[], bool | None], deadline: float | None) -> bool:
    """Poll state() (True: done, False: failed, None: not yet) until it decides or the deadline passes."""
    while True:
        decided = state()
        if decided is not None:
            return decided
        if deadline is not None and time.monotonic() > deadline:
            return False
        time.sleep(0.001)


class DirectWriter:
    """POSIX: the request path writes the bytes to the sidecar's stdin itself, non-blocking, under a lock that
    keeps the app threads' call order. No thread of ours in the app: measured with a no-op candidate, a feeder
    thread's wake-ups and GIL hand-offs cost the app more than the write. The pipe is the queue (enlarged to 1 MiB
    where Linux allows): a write that finds it full is dropped and counted. A write the pipe took only part of
    keeps its rest in `pending`, sent first by the next call (or by drain), so items never interleave."""

    PIPE_BYTES = 1 << 20

    @staticmethod
    def usable() -> bool:
        return sys.platform != "win32" and hasattr(os, "set_blocking")

    def __init__(self, stream, queue_size: int) -> None:
        self.fd = stream.fileno()
        os.set_blocking(self.fd, False)
        with contextlib.suppress(Exception):
            import fcntl

            fcntl.fcntl(self.fd, fcntl.F_SETPIPE_SZ, self.PIPE_BYTES)
        self.lock = threading.Lock()
        self.pending = b""
        self.gone = False

    def _push(self) -> None:
        """Write as much of `pending` as the pipe takes now (lock held)."""
        try:
            while self.pending:
                n = os.write(self.fd, self.pending)
                self.pending = self.pending[n:]
        except BlockingIOError:
            pass
        except OSError:  # the sidecar died: everything after is dropped, counted
            self.gone, self.pending = True, b""

    def send(self, data: bytes, bounded: bool) -> str | None:
        with self.lock:
            if self.pending:
                self._push()
            if self.gone:
                return "sidecar_gone"
            if self.pending and bounded:
                return "queue_full"
            if not self.pending:
                try:
                    n = os.write(self.fd, data)
                except BlockingIOError:
                    n = 0
                except OSError:
                    self.gone = True
                    return "sidecar_gone"
                if n == 0 and bounded:
                    return "queue_full"
                data = data[n:]
            self.pending += data
            return None

    def drain(self, deadline: float | None) -> bool:
        """Push what is pending until the pipe took it all; False at the deadline or if the sidecar is gone."""
        def state() -> bool | None:
            with self.lock:
                self._push()
                return False if self.gone else True if not self.pending else None
        return _until(state, deadline)

    def close(self, timeout: float) -> None:
        self.drain(time.monotonic() + timeout)


class FeederWriter:
    """Windows (no non-blocking pipes): a bounded outbox that a feeder thread writes to the pipe."""

    def __init__(self, channel: Channel, queue_size: int) -> None:
        self.channel, self.max = channel, queue_size
        self.outbox: collections.deque = collections.deque()
        self.ready = threading.Condition()
        self.gone = False
        self.feeder = threading.Thread(target=self._feed, name="parity-shadow-feeder", daemon=True)
        self.feeder.start()

    def send(self, data: bytes, bounded: bool) -> str | None:
        with self.ready:
            if self.gone:
                return "sidecar_gone"
            if bounded and len(self.outbox) >= self.max:
                return "queue_full"
            self.outbox.append(data)
            self.ready.notify()
        return None

    def _feed(self) -> None:
        while True:
            with self.ready:
                while not self.outbox:
                    self.ready.wait()
                data = self.outbox.popleft()
            if data is None:
                return
            try:
                self.channel.writer.write(data)
                self.channel.writer.flush()
            except (OSError, ValueError):
                with self.ready:
                    self.gone = True
                    self.outbox.clear()
                return

    def drain(self, deadline: float | None) -> bool:
        def state() -> bool | None:
            with self.ready:
                return False if self.gone else True if not self.outbox else None
        return _until(state, deadline)

    def close(self, timeout: float) -> None:
        with self.ready:
            self.outbox.append(None)
            self.ready.notify()
        self.feeder.join(timeout)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group: the app reports it, not us
        sys.exit(130)
