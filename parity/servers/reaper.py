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


def register(root: Path, pid: int | str) -> None:
    """A server process id, or "docker:<container id>" for a container."""
    with open(root / PIDS_FILE, "a") as fh:
        fh.write(f"{pid}\n")


def kill_registered(root: Path) -> None:
    try:
        entries = (root / PIDS_FILE).read_text().split()
    except OSError:
        entries = []
    containers = [e.split(":", 1)[1] for e in entries if e.startswith("docker:")]
    for entry in entries:
        if entry.isdigit():
            kill_tree(int(entry))
    if containers:
        remove_containers(containers)


def remove_containers(ids: list[str]) -> None:
    """docker rm -f: containers the suite started must not outlive it (Ryuk may be off or absent)."""
    try:
        import docker

        client = docker.from_env(timeout=20)
    except Exception:  # no engine any more: nothing of ours can be running there
        return
    for cid in ids:
        try:
            client.api.remove_container(cid, force=True, v=True)
        except Exception:  # already removed by close() or by Ryuk
            pass
    client.close()


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
