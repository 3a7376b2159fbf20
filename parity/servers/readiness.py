"""Waiting for a server to accept work: a timeout, a list of tolerated transient errors, a loud failure."""

from __future__ import annotations

import socket
import time
from typing import Callable


class ServerStartError(RuntimeError):
    """A server the suite started did not become ready; carries the tail of its log, and a fix when one is known."""

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.fix = fix


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_until(check: Callable[[], object], *, timeout: float, transient: tuple[type[BaseException], ...],
               alive: Callable[[], bool] = lambda: True, what: str = "server",
               log_tail: Callable[[], str] = lambda: "") -> None:
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        if not alive():
            raise ServerStartError(f"{what} exited during start-up: {log_tail()}")
        try:
            check()
            return
        except transient as exc:
            last = exc
            time.sleep(0.05)
    raise ServerStartError(f"{what} not ready after {timeout:.0f}s (last error: {last}); log: {log_tail()}")


def tail(path, lines: int = 8) -> str:
    try:
        with open(path, errors="replace") as fh:
            return " | ".join(fh.read().splitlines()[-lines:])
    except OSError:
        return "(no log)"
