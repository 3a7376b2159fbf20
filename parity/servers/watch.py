"""The run's own servers, watched while it runs: a death, a restart or a stall is a server event, never a finding.

Every server a session's cells use (embedded, a container, or a URL it was given) gets a thread that asks it, on one
connection of its own, what identifies the running server (Redis `run_id`, Postgres `pg_postmaster_start_time()`:
read-only, also on a server the suite did not start). An answer with another identity is a restart; a call that fails
is a death when the process has exited or the container is gone, else the server stopped answering; a call that
stays unanswered for STALL_S is a stall. Each becomes one `Event`, open until the server answers again. The cells whose
window overlaps an event are judged in `parity.spoiled`; nothing here touches a cell.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from parity.statuses import server_events

# Between two asks when all is well: one small read a second on a persistent connection costs the server and this
# process next to nothing, also under a benchmark's timing (a failing cell asks at once: `confirm`).
POLL_S = 1.0
# An ask unanswered this long is a stall: far beyond a scheduling hiccup on a busy machine (tens of ms), short
# enough that the cells waiting on a stopped server are told within seconds.
STALL_S = 3.0
# A failed call and a process that has not exited yet: how long its exit may take to show (SIGKILL closes the
# sockets a moment before the parent can reap the process).
EXIT_GRACE_S = 0.3
# What can happen to a server: declared once in parity/statuses.py, where the schema's server_event enum comes from.
EVENTS = server_events()


def clock_text(at: float) -> str:
    """HH:MM:SS UTC, how a person reads when it happened."""
    return datetime.fromtimestamp(at, timezone.utc).strftime("%H:%M:%S UTC")


def iso(at: float | None) -> str | None:
    return None if at is None else datetime.fromtimestamp(at, timezone.utc).isoformat()


@dataclass
class Event:
    """What happened to one server: "died", "restarted" or "stopped answering", from `since` (its last answer) to
    `until` (its next one; None: never again in this run)."""

    server: str  # the family
    provider: str
    what: str
    detail: str
    since: float
    at: float  # when the watch saw it
    until: float | None = None
    announced: bool = False

    def line(self) -> str:
        """"the redis server (embedded) died at 11:19:47 UTC (killed by signal 9)"."""
        back = f"; it answered again at {clock_text(self.until)}" if self.until is not None and self.what != "restarted" else ""
        return f"the {self.server} server ({self.provider}) {self.what} at {clock_text(self.at)} ({self.detail}){back}"

    def overlaps(self, start: float, end: float) -> bool:
        return self.since <= end and (self.until is None or self.until >= start)

    def to_dict(self) -> dict[str, Any]:
        return {"server": self.server, "provider": self.provider, "event": self.what, "detail": self.detail,
                "since": iso(self.since), "at": iso(self.at), "until": iso(self.until), "line": self.line()}


@dataclass
class _Target:
    """One watched server: its endpoint, what the watch last heard, and its open event."""

    endpoint: Any
    identity: str | None = None
    last_ok: float = field(default_factory=time.time)
    asked_at: float | None = None  # an ask under way since then
    answered_at: float = 0.0  # when the last ask ended, answered or failed
    down: Event | None = None
    thread: threading.Thread | None = None
    wake: threading.Event = field(default_factory=threading.Event)


class ServerWatch:
    """The servers of one session; `down(family)` and `confirm(family)` are what the cells ask."""

    def __init__(self, poll_s: float = POLL_S, stall_s: float = STALL_S) -> None:
        self.poll_s, self.stall_s = poll_s, stall_s
        self.events: list[Event] = []
        self._targets: dict[str, _Target] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    def watch(self, endpoint) -> None:
        """Start watching a session server (once per family); fault studies' own servers are never given here."""
        with self._lock:
            if endpoint.family in self._targets or self._stopped.is_set():
                return
            target = self._targets[endpoint.family] = _Target(endpoint)
        target.thread = threading.Thread(target=self._ask_loop, args=(target,), daemon=True,
                                         name=f"parity-watch-{endpoint.family}")
        target.thread.start()

    def watched(self, family: str | None) -> bool:
        return family in self._targets

    def down(self, family: str | None) -> Event | None:
        """The open event of the family's server (dead, stalled), or None while it serves."""
        target = self._targets.get(family or "")
        if target is None:
            return None
        with self._lock:
            self._check_stall(target, time.time())
            return target.down

    def confirm(self, family: str | None, wait_s: float | None = None) -> Event | None:
        """Ask the server now and wait for the answer (a stall counts after STALL_S): called when a cell did not pass,
        so an absence that broke it is an event before the cell is judged."""
        target = self._targets.get(family or "")
        if target is None:
            return None
        asked = time.time()
        target.wake.set()
        deadline = asked + (self.stall_s + 1.0 if wait_s is None else wait_s)
        while time.time() < deadline and target.answered_at <= asked and not self._stopped.is_set():
            with self._lock:
                if self._check_stall(target, time.time()) or target.down is not None:
                    break
            time.sleep(0.01)
        return self.down(family)

    def wait_up(self, family: str, timeout_s: float = 10.0) -> bool:
        """After the suite restarted a server: True once the watch has heard it answer (its open event closed)."""
        target = self._targets.get(family)
        deadline = time.time() + timeout_s
        while target is not None and time.time() < deadline and not self._stopped.is_set():
            if target.down is None:
                return True
            target.wake.set()
            time.sleep(0.02)
        return target is not None and target.down is None

    def overlapping(self, family: str | None, start: float, end: float) -> list[Event]:
        with self._lock:
            return [e for e in self.events if e.server == family and e.overlaps(start, end)]

    def news(self) -> list[Event]:
        """Events not yet said in the console (each is said once)."""
        with self._lock:
            fresh = [e for e in self.events if not e.announced]
            for e in fresh:
                e.announced = True
        return fresh

    def stop(self) -> None:
        """Before the servers are closed (a close is no death). An ask held by a stalled server stays in its daemon
        thread until the server is stopped; it records nothing after this."""
        self._stopped.set()
        for target in list(self._targets.values()):
            target.wake.set()
        for target in list(self._targets.values()):
            if target.thread is not None:
                target.thread.join(timeout=0.5)

    # -- the thread of one server ------------------------------------------------------------------------------

    def _ask_loop(self, target: _Target) -> None:
        from parity import families

        family = families.get(target.endpoint.family)
        while not self._stopped.is_set():
            try:
                with family.sync_identity(target.endpoint.url, timeout=self.stall_s) as ask:
                    while not self._stopped.is_set():
                        target.asked_at = time.time()
                        identity = ask()
                        self._answered(target, identity)
                        self._pause(target)
            except Exception as exc:  # noqa: BLE001 - every failure of our own ask is the server's state, said below
                self._failed(target, exc)
                self._pause(target)

    def _pause(self, target: _Target) -> None:
        target.wake.wait(self.poll_s)
        target.wake.clear()

    def _answered(self, target: _Target, identity: str) -> None:
        now = time.time()
        with self._lock:
            target.asked_at, target.answered_at = None, now
            if self._stopped.is_set():
                return
            new_process = target.identity is not None and identity != target.identity
            if target.down is not None:
                target.down.until = now
                if new_process:
                    target.down.detail += "; it came back as a new server process"
                target.down = None
            elif new_process:
                self.events.append(Event(target.endpoint.family, target.endpoint.provider, "restarted",
                                         "a new server process: its identity changed", target.last_ok, now, now))
            target.identity, target.last_ok = identity, now

    def _failed(self, target: _Target, exc: BaseException) -> None:
        exited = self._exit_of(target)
        now = time.time()
        with self._lock:
            target.asked_at, target.answered_at = None, now
            if self._stopped.is_set() or target.down is not None:
                return
            what, detail = ("died", exited) if exited else ("stopped answering", _error_text(exc))
            self._open(target, what, detail, now)

    def _check_stall(self, target: _Target, now: float) -> bool:
        """Under the lock: an ask unanswered for STALL_S opens a "stopped answering" event. True when it did."""
        asked = target.asked_at
        if target.down is not None or asked is None or now - asked < self.stall_s or self._stopped.is_set():
            return False
        self._open(target, "stopped answering", f"no answer for {now - asked:.0f} s", now)
        return True

    def _open(self, target: _Target, what: str, detail: str, now: float) -> None:
        target.down = Event(target.endpoint.family, target.endpoint.provider, what, detail, target.last_ok, now)
        self.events.append(target.down)

    def _exit_of(self, target: _Target) -> str | None:
        """How an owned server ended ("killed by signal 9", "exited with code 1", "container not running"), or None
        while it runs (or when the suite cannot see its process: a URL it was given)."""
        control = target.endpoint.control
        if control is None:
            return None
        proc = getattr(control, "proc", None)
        if proc is not None:
            deadline = time.time() + EXIT_GRACE_S
            while proc.poll() is None and time.time() < deadline:
                time.sleep(0.02)
            code = proc.poll()
            if code is None:
                return None
            return f"killed by signal {-code}" if code < 0 else f"exited with code {code}"
        alive: Callable[[], bool] | None = getattr(control, "alive", None)
        return "its container is not running" if alive is not None and not alive() else None


def _error_text(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:160]}" if text else type(exc).__name__
