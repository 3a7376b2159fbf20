"""The machine's own noise during the benchmarks: load, other processes' CPU, steal, clock, and the disk's fsync.

A ratio that moves between two runs of one commit moved because of something; these rows say what the machine
was doing meanwhile, so a reader (and `parity compare`) can tell a noisy run from a regression. Everything is read
from the operating system (psutil, /proc via psutil); whatever a platform does not expose is None, never a guess.
"""

from __future__ import annotations

import os
import tempfile
import time
from typing import Any, Callable

from parity import stats

FSYNC_BYTES = 4096


def _load() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):  # Windows has no load average
        return None


def _tree_cpu_seconds(pids: set[int]) -> float:
    """CPU seconds of these processes and all they forked, reaped children included (Postgres backends that
    exited during the window count through the postmaster's children times)."""
    import psutil

    seen: set[int] = set()
    total = 0.0
    for pid in pids:
        try:
            procs = [psutil.Process(pid)]
            procs += procs[0].children(recursive=True)
        except psutil.Error:
            continue
        for p in procs:
            if p.pid in seen:
                continue
            seen.add(p.pid)
            try:
                t = p.cpu_times()
            except psutil.Error:
                continue
            total += t.user + t.system + getattr(t, "children_user", 0.0) + getattr(t, "children_system", 0.0)
    return total


def _mhz() -> list[float] | None:
    import psutil

    try:
        freqs = psutil.cpu_freq(percpu=True)
    except (AttributeError, NotImplementedError, OSError):
        return None
    cur = [f.current for f in freqs or [] if f and f.current]
    return [round(min(cur)), round(max(cur))] if cur else None


def _total(c) -> float:
    # Linux counts guest time inside user time already: leave it out of the sum.
    return sum(c) - getattr(c, "guest", 0.0) - getattr(c, "guest_nice", 0.0)


def _busy(c) -> float:
    return _total(c) - c.idle - getattr(c, "iowait", 0.0)


class Window:
    """Start before a measurement, stop after: what the rest of the machine did in between.

    `ours()` names the pids whose CPU is the measurement itself (this process and the servers the suite owns);
    a server started inside the window counts wholly as ours (all its CPU time falls inside). Everything else
    busy on the machine meanwhile is other processes' work, competing for the same cores.
    """

    def __init__(self, what: str, ours: Callable[[], set[int]]) -> None:
        self.what, self.ours = what, ours
        self._start: dict[str, Any] = {}

    def start(self) -> "Window":
        import psutil

        pids = self.ours() | {os.getpid()}
        self._start = {"t": time.monotonic(), "cpu": psutil.cpu_times(), "pids": pids,
                       "ours": _tree_cpu_seconds(pids), "load": _load(), "mhz": _mhz()}
        return self

    def stop(self) -> dict[str, Any]:
        import psutil

        s = self._start
        wall = max(time.monotonic() - s["t"], 1e-9)
        c0, c1 = s["cpu"], psutil.cpu_times()
        busy = _busy(c1) - _busy(c0)
        total = _total(c1) - _total(c0)
        ours = _tree_cpu_seconds(s["pids"] | self.ours()) - s["ours"]
        steal = getattr(c1, "steal", None)
        return {"kind": "window", "what": self.what, "seconds": round(wall, 1), "cpus": psutil.cpu_count() or 1,
                "load_before": s["load"], "load_after": _load(),
                # A share of ONE cpu, as top shows it: 100 = one core kept busy by other processes throughout.
                "others_cpu_pct": round(max(busy - ours, 0.0) / wall * 100, 1),
                "steal_pct": (round((steal - c0.steal) / total * 100, 2) if steal is not None and total > 0 else None),
                "cpu_mhz_before": s["mhz"], "cpu_mhz_after": _mhz()}


def fsync_samples(n: int, warmup: int = 1, directory: str | None = None) -> list[float]:
    """n timings (ms) of a 4 KB write + fsync in the folder where embedded servers keep their data (the temp
    folder), after `warmup` untimed ones; the file is removed."""
    samples = []
    fd, path = tempfile.mkstemp(prefix="parity-fsync-", dir=directory or tempfile.gettempdir())
    try:
        block = os.urandom(FSYNC_BYTES)
        for i in range(warmup + n):
            t0 = time.perf_counter_ns()
            os.pwrite(fd, block, (i % 16) * FSYNC_BYTES) if hasattr(os, "pwrite") else os.write(fd, block)
            os.fsync(fd)
            if i >= warmup:
                samples.append((time.perf_counter_ns() - t0) / 1e6)
    finally:
        os.close(fd)
        os.unlink(path)
    return samples


def fsync_floor(directory: str | None = None, n: int = 40, warmup: int = 5) -> dict[str, Any]:
    """The disk's own floor under every durable write (Postgres commit, an AOF fsync, SQLite's journal), timed like
    the other floors."""
    samples = fsync_samples(n, warmup, directory)
    return {"backend": "disk", "what": f"disk: {FSYNC_BYTES // 1024} KB write + fsync in the temp folder",
            "flavour": "sync", "loop": None, "pairing": "defaults", "settings": None,
            "p50_ms": stats.percentile(samples, 50), "p90_ms": stats.percentile(samples, 90),
            "p99_ms": stats.percentile(samples, 99), "n": len(samples)}
