"""How much of a round trip is CPU placement: one bare round trip timed with client and server on one CPU, then on two.

Found on the 2-vCPU VM this suite was built on: a Redis PING took 0.033 ms with the client and redis-server on
the same CPU and 0.11 ms across two (RedisSaver.put 0.19 vs 0.36 ms). The scheduler picks either placement and
may change its mind between two measurements, so a saver that makes many round trips per call (Redis) moves
far more between runs than one that makes few. These rows let a reader see that spread next to the ratios.
Only on servers the suite owns (it pins their processes for a moment), on Linux with two CPUs or more.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any, Iterator

from parity import families, stats
from parity.servers.endpoint import Endpoint

PLACEMENTS = (("same CPU", 0, 0), ("different CPUs", 0, 1))
# The headline layout: this process on the first CPU it may use, every server the suite owns on the second. In
# production the app and its checkpoint store do not share a core (usually not even a machine); pinning makes
# that a fixed, stated condition instead of the scheduler's choice of the moment, which moved the put ratio
# from ~2.3 to ~0.9 between runs of one commit on the 2-CPU VM this suite was built on.
HEADLINE = "split CPUs, pinned"
# Layouts measured beside the headline (same servers at defaults): (pairing label, client CPU, servers' CPU),
# None for the scheduler's own choice.
LAYOUTS = (("defaults, one CPU", 0, 0), ("defaults, scheduler's choice", None, None))


class ThreadAffinity:
    """Linux: affinity per thread (os.sched_*): this process's threads and every thread of a server's processes."""

    name = "threads (sched_setaffinity)"

    @staticmethod
    def usable() -> bool:
        return hasattr(os, "sched_setaffinity")

    def cpus(self) -> list[int]:
        return sorted(os.sched_getaffinity(0))

    def mine(self) -> list[int]:
        return [int(t) for t in os.listdir("/proc/self/task")]

    def get(self, task: int) -> set[int] | None:
        try:
            return os.sched_getaffinity(task)
        except OSError:
            return None

    def set(self, task: int, cpus: set[int]) -> bool:
        try:
            os.sched_setaffinity(task, cpus)
            return True
        except OSError:  # gone, or not ours to move
            return False

    def of_process(self, proc) -> list[int]:
        return [t.id for t in proc.threads()]


class ProcessAffinity(ThreadAffinity):
    """Where there is no sched_setaffinity but psutil can set a process's CPUs (Windows, FreeBSD): per process,
    all its threads at once; child processes started later inherit it, as Postgres backends do on Linux."""

    name = "processes (psutil)"

    @staticmethod
    def usable() -> bool:
        import psutil

        return hasattr(psutil.Process, "cpu_affinity")

    def cpus(self) -> list[int]:
        import psutil

        return sorted(psutil.Process().cpu_affinity())

    def mine(self) -> list[int]:
        return [os.getpid()]

    def get(self, task: int) -> set[int] | None:
        import psutil

        try:
            return set(psutil.Process(task).cpu_affinity())
        except (psutil.Error, OSError):
            return None

    def set(self, task: int, cpus: set[int]) -> bool:
        import psutil

        try:
            psutil.Process(task).cpu_affinity(sorted(cpus))
            return True
        except (psutil.Error, OSError):
            return False

    def of_process(self, proc) -> list[int]:
        return [proc.pid]


def affinity() -> ThreadAffinity | None:
    """How this platform lets the suite place processes, or None (macOS: neither exists)."""
    return next((kind() for kind in (ThreadAffinity, ProcessAffinity) if kind.usable()), None)


def unavailable(endpoint: Endpoint) -> str | None:
    """Why placement cannot be measured for this server, or None."""
    aff = affinity()
    if aff is None:
        return "CPU affinity cannot be set on this platform"
    if len(aff.cpus()) < 2:
        return "this process may run on one CPU only"
    if not endpoint.owned or endpoint.pid is None:
        return "the suite does not own this server (it never pins a process it did not start)"
    return None


def measure(endpoint: Endpoint, n: int = 300, warmup: int = 50) -> list[dict[str, Any]]:
    """Rows (family, placement, p50/p99 ms of the bare round trip); [] when unavailable(endpoint)."""
    if unavailable(endpoint):
        return []
    cpus = affinity().cpus()[:2]
    rows = []
    family = families.get(endpoint.family)
    with family.sync_ping(endpoint.url) as call:
        for placement, client_i, server_i in PLACEMENTS:
            with pinned([endpoint], client_i, server_i) as moved:
                if not moved:
                    return []  # not allowed to move the server (another user's process): nothing honest to say
                for _ in range(warmup):
                    call()
                samples = []
                for _ in range(n):
                    t0 = time.perf_counter_ns()
                    call()
                    samples.append((time.perf_counter_ns() - t0) / 1e6)
            where = "the same CPU" if placement == "same CPU" else placement
            rows.append({"backend": endpoint.family, "placement": placement, "cpus": [cpus[client_i], cpus[server_i]],
                         "what": f"{family.ping_what}, client and server on {where}",
                         "p50_ms": stats.percentile(samples, 50), "p99_ms": stats.percentile(samples, 99), "n": n})
    return rows


@contextlib.contextmanager
def headline(endpoints: list[Endpoint]) -> Iterator[dict[str, Any]]:
    """The headline layout for a block when the suite may pin (client and servers on separate CPUs), else the
    scheduler's choice with the reason; yields the layout as recorded beside every figure of the block."""
    why = unpinnable(endpoints)
    if why:
        yield {"layout": "scheduler's choice", "pinned": False, "why": why}
        return
    cpus = affinity().cpus()[:2]
    with pinned(endpoints, 0, 1) as moved:
        if endpoints and not moved:
            yield {"layout": "scheduler's choice", "pinned": False, "why": "the servers' processes could not be moved"}
            return
        yield {"layout": HEADLINE, "pinned": True, "client_cpu": cpus[0], "server_cpu": cpus[1]}


def unpinnable(endpoints: list[Endpoint]) -> str | None:
    """Why the headline layout cannot be had for these servers, or None (no server: only this process is pinned)."""
    aff = affinity()
    if aff is None:
        return "CPU affinity cannot be set on this platform"
    if len(aff.cpus()) < 2:
        return "this process may run on one CPU only"
    return next((f"{ep.family}: {why}" for ep in endpoints if (why := unavailable(ep))), None)


def server_tasks(endpoint: Endpoint, aff: ThreadAffinity | None = None) -> list[int]:
    """What to move for a server: every thread (or, per process, every process) of redis-server or of the
    postmaster and all it forked."""
    import psutil

    aff = aff or affinity()
    try:
        procs = [psutil.Process(endpoint.pid)]
        procs += procs[0].children(recursive=True)
    except psutil.Error:
        return []
    tasks = []
    for proc in procs:
        try:
            tasks += aff.of_process(proc)
        except psutil.Error:
            continue
    return tasks


@contextlib.contextmanager
def pinned(endpoints: list[Endpoint], client_cpu: int, server_cpu: int) -> Iterator[list[int]]:
    """This process on one CPU and the servers on another (or the same) for a block; every affinity restored.

    Yields the server threads it could move. New Postgres backends inherit the postmaster's CPU set, so
    connections opened inside the block follow it.
    """
    aff = affinity()
    cpus = aff.cpus()[:2]
    mine = aff.mine()
    theirs = [t for ep in endpoints for t in server_tasks(ep, aff)]
    saved = {t: aff.get(t) for t in mine + theirs}
    try:
        for t in mine:
            aff.set(t, {cpus[client_cpu]})
        yield [t for t in theirs if aff.set(t, {cpus[server_cpu]})]
    finally:
        for t, before in saved.items():
            if before is not None:
                aff.set(t, before)
        for ep in endpoints:  # processes forked inside the block (Postgres backends) get the servers' set back
            for t in server_tasks(ep, aff):
                if t not in saved:
                    aff.set(t, saved.get(ep.pid) or set(cpus))
