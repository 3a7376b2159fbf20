"""The servers a parity process started, found in its process tree (for the Ctrl-C tests)."""

from __future__ import annotations

import psutil


def servers_of(proc: psutil.Process) -> list[psutil.Process]:
    found = []
    for child in proc.children(recursive=True):
        try:
            if any(name in " ".join(child.cmdline()) for name in ("redis-server", "pgdata")):
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found
