"""What every family's preflight probe shares: URL form checks, round-trip timing, connection errors as one clear line.

The probes themselves are Family.probe() in parity/families/.
"""

from __future__ import annotations

import socket
import statistics
import time
from urllib.parse import urlsplit

from parity.errors import ParityUsageError
from parity.servers.endpoint import mask_url

CONNECT_TIMEOUT_S = 5  # every failure must be reported within 10 s


def rtt_ms(call, n: int = 20) -> float:
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(samples), 4)


def check_url_form(url: str, schemes: tuple[str, ...], example: str) -> None:
    """One line (ParityUsageError) for a URL that cannot be a server of a family, before anything connects."""
    parts = urlsplit(url)
    try:
        parts.port
    except ValueError:
        raise ParityUsageError(f"malformed URL {mask_url(url)!r}: the port is not a number", f"use a URL like {example}") from None
    if parts.scheme not in schemes or not parts.hostname:
        raise ParityUsageError(f"malformed URL {mask_url(url)!r}", f"use a URL like {example}")


def reason(exc: BaseException) -> str:
    return reason_text(str(exc))


def reason_text(msg: str) -> str:
    low = msg.lower()
    if "refused" in low:
        return "connection refused (is the server running on that port?)"
    if "name or service not known" in low or "nodename nor servname" in low or "could not translate host name" in low \
            or "failed to resolve" in low or "temporary failure in name resolution" in low:
        return "unknown host"
    if "timeout" in low or "timed out" in low:
        return "timed out"
    return first_line(msg)


def first_line(msg: str) -> str:
    return " ".join(msg.strip().split())[:200]


def host_resolves(host: str) -> bool:
    try:
        socket.getaddrinfo(host, None)
        return True
    except OSError:
        return False
