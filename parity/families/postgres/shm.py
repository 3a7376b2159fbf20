"""Postgres's dynamic shared memory segments (/dev/shm/PostgreSQL.*) that a killed server leaves behind.

A postmaster removes its segments when it shuts down, also on an immediate shutdown (SIGQUIT); one killed with
SIGKILL (the crash faults, the reaper after Ctrl-C) cannot, and its data folder, where a restarted server would
find the handle to clean them up, goes with the run. Measured: 6 segments left per `make test`, 168 after a day of
runs. After an embedded server of ours has stopped, the segments that appeared while it ran, that belong to the
user it ran as and that no live process maps, are removed; nothing else is touched.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

SHM = Path("/dev/shm")
PREFIX = "PostgreSQL."
SETTLE_S = 2.0  # a segment younger than this may be one a starting server created and is about to map


def snapshot() -> set[str] | None:
    """The segment names present now; None where there is no /dev/shm (not Linux): then nothing is swept."""
    if not SHM.is_dir():
        return None
    try:
        return {p.name for p in SHM.iterdir() if p.name.startswith(PREFIX)}
    except OSError:
        return None


def _mapped() -> set[str]:
    """Segment names some live process maps (from /proc/*/maps; processes we may not read are skipped)."""
    names: set[str] = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            text = (proc / "maps").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            i = line.find(str(SHM / PREFIX))
            if i >= 0:
                names.add(line[i + len(str(SHM)) + 1:].split()[0].removesuffix(" (deleted)"))
    return names


def sweep(before: set[str] | None, uid: int) -> list[str]:
    """Remove the segments created since `before`, owned by uid, older than SETTLE_S and mapped by no process."""
    now = snapshot()
    if before is None or now is None:
        return []
    fresh = now - before
    if not fresh:
        return []
    mapped = _mapped()
    removed = []
    for name in sorted(fresh - mapped):
        path = SHM / name
        try:
            st = path.stat()
            if st.st_uid != uid or time.time() - st.st_mtime < SETTLE_S:
                continue
            path.unlink()
            removed.append(name)
        except OSError:
            continue
    return removed
