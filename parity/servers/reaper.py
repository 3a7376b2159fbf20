"""A watchdog that stops the suite's servers and removes their data if the suite itself dies (e.g. SIGKILL)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

PIDS_FILE = "pids"


def spawn(root: Path) -> subprocess.Popen:
    """Start a detached reaper watching this process; it exits on its own once root is gone."""
    return subprocess.Popen(
        [sys.executable, "-m", "parity.servers.reaper", str(os.getpid()), str(root)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,  # a Ctrl-C in the terminal must not kill the safety net first
        close_fds=True,
    )


def register(root: Path, pid: int) -> None:
    with open(root / PIDS_FILE, "a") as fh:
        fh.write(f"{pid}\n")


def kill_registered(root: Path) -> None:
    try:
        pids = [int(x) for x in (root / PIDS_FILE).read_text().split()]
    except (OSError, ValueError):
        pids = []
    for pid in pids:
        kill_tree(pid)


def kill_tree(pid: int) -> None:
    """SIGKILL a server and its children (postgres backends); servers run in their own session, pid == pgid."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(pid, signal.SIGKILL)
        else:  # Windows: no process groups; psutil walks the children
            import psutil

            parent = psutil.Process(pid)
            for proc in parent.children(recursive=True) + [parent]:
                proc.kill()
    except Exception:  # already gone (ProcessLookupError, psutil.NoSuchProcess): nothing left to kill
        pass


def _alive(pid: int) -> bool:
    if sys.platform == "win32":  # os.kill(pid, 0) would send CTRL_C_EVENT there
        import psutil

        return psutil.pid_exists(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def watch(parent: int, root: Path, interval: float = 0.3) -> None:
    while root.exists():
        if not _alive(parent):
            kill_registered(root)
            time.sleep(0.5)  # let the kernel release the killed servers' files before removal
            shutil.rmtree(root, ignore_errors=True)
            return
        time.sleep(interval)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch(int(sys.argv[1]), Path(sys.argv[2]))
