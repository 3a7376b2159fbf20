"""How much of a round trip is CPU placement: one bare round trip timed with client and server on one CPU, then on two.

Found on the 2-vCPU VM this suite was built on: a Redis PING took 0.033 ms with the client and redis-server on
the same CPU and 0.11 ms across two (RedisSaver.put 0.19 vs 0.36 ms). The scheduler picks either placement and
may change its mind between two measurements, so a saver that makes many round trips per call (Redis) moves
far more between runs than one that makes few. These rows let a reader see that spread next to the ratios.
Only on servers the suite owns (it pins their processes for a moment), on Linux with two CPUs or more.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable

from parity import stats
from parity.servers.endpoint import Endpoint

PLACEMENTS = (("same CPU", 0, 0), ("different CPUs", 0, 1))


def unavailable(endpoint: Endpoint) -> str | None:
    """Why placement cannot be measured for this server, or None."""
    if not hasattr(os, "sched_setaffinity"):
        return "CPU affinity cannot be set on this platform"
    if len(os.sched_getaffinity(0)) < 2:
        return "this process may run on one CPU only"
    if not endpoint.owned or endpoint.pid is None:
        return "the suite does not own this server (it never pins a process it did not start)"
    return None


def measure(endpoint: Endpoint, n: int = 300, warmup: int = 50) -> list[dict[str, Any]]:
    """Rows (family, placement, p50/p99 ms of the bare round trip); [] when unavailable(endpoint)."""
    if unavailable(endpoint):
        return []
    opener = _REDIS if endpoint.family == "redis" else _POSTGRES
    mine = os.sched_getaffinity(0)
    cpus = sorted(mine)[:2]
    rows = []
    with opener(endpoint) as (call, server_tasks):
        saved = {t: _affinity(t) for t in server_tasks}
        try:
            for placement, client_i, server_i in PLACEMENTS:
                os.sched_setaffinity(0, {cpus[client_i]})
                pinned = [t for t in server_tasks if _pin(t, {cpus[server_i]})]
                if not pinned:
                    return []  # not allowed to move the server (another user's process): nothing honest to say
                for _ in range(warmup):
                    call()
                samples = []
                for _ in range(n):
                    t0 = time.perf_counter_ns()
                    call()
                    samples.append((time.perf_counter_ns() - t0) / 1e6)
                rows.append({"backend": endpoint.family, "placement": placement, "cpus": [cpus[client_i], cpus[server_i]],
                             "what": f"{_WHAT[endpoint.family]}, client and server on {'the same CPU' if placement == 'same CPU' else placement}",
                             "p50_ms": stats.percentile(samples, 50), "p99_ms": stats.percentile(samples, 99), "n": n})
        finally:
            os.sched_setaffinity(0, mine)
            for task, cpus_before in saved.items():
                if cpus_before is not None:
                    _pin(task, cpus_before)
    return rows


_WHAT = {"redis": "PING", "postgres": "SELECT 1"}


def _affinity(task: int) -> set[int] | None:
    try:
        return os.sched_getaffinity(task)
    except OSError:
        return None


def _pin(task: int, cpus: set[int]) -> bool:
    try:
        os.sched_setaffinity(task, cpus)
        return True
    except OSError:  # gone, or not ours to move
        return False


class _REDIS:
    """A sync client and every thread of redis-server (main, I/O and background threads)."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint

    def __enter__(self) -> tuple[Callable[[], Any], list[int]]:
        import redis

        self.client = redis.Redis.from_url(self.endpoint.url)
        self.client.ping()
        tasks = [int(t) for t in os.listdir(f"/proc/{self.endpoint.pid}/task")] if os.path.isdir(
            f"/proc/{self.endpoint.pid}/task") else [self.endpoint.pid]
        return self.client.ping, tasks

    def __exit__(self, *exc: Any) -> None:
        self.client.close()


class _POSTGRES:
    """A sync connection and the backend process that serves it (one process per connection)."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint

    def __enter__(self) -> tuple[Callable[[], Any], list[int]]:
        import psycopg

        self.conn = psycopg.connect(self.endpoint.url, autocommit=True, prepare_threshold=0)
        backend = self.conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        return (lambda: self.conn.execute("SELECT 1").fetchone()), [int(backend)]

    def __exit__(self, *exc: Any) -> None:
        self.conn.close()
