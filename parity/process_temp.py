"""This process's own temp folder: removed when the process exits, or by a later one once its owner is gone."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path

PREFIX = "parity-proc-"
# Held (flock) by the owning process for as long as it lives: the kernel releases it however the process ends, even
# on SIGKILL, when no atexit runs. A free lock is the only sign a sweep takes: never a pid, which another process
# (or another pid namespace sharing the folder) may carry.
LOCK = "owner.lock"

# A folder is held within milliseconds of being made: one with no lock after this long was never held (its maker was
# killed in between) and nobody else can own it.
UNHELD_AFTER_S = 60.0

_folder: Path | None = None
_owner: int | None = None  # the pid that made _folder: a forked child makes (and removes) its own
_lock_fd: int | None = None


def folder() -> Path:
    """This process's folder under the temp dir, made on first use; made after sweeping the folders of dead owners."""
    global _folder, _owner, _lock_fd
    if _folder is not None and _owner == os.getpid():
        return _folder
    root = Path(tempfile.gettempdir())
    sweep(root)
    path = Path(tempfile.mkdtemp(prefix=PREFIX, dir=root))
    try:
        fd = _hold(path)
    except BaseException:  # Ctrl-C right here: no one would own the folder
        shutil.rmtree(path, ignore_errors=True)
        raise
    first = _owner is None
    _folder, _owner, _lock_fd = path, os.getpid(), fd
    if first:
        atexit.register(_remove)
    return path


def _hold(path: Path) -> int | None:
    try:
        import fcntl
    except ImportError:  # Windows: no flock; the folder goes at exit, a killed process's stays
        return None
    pending = path / f"{LOCK}.new"
    fd = os.open(pending, os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.rename(pending, path / LOCK)  # a sweep opens LOCK only, so it never finds this folder's lock unheld
    return fd


def sweep(root: Path) -> list[Path]:
    """Remove the folders under root whose owner is gone (their lock is free); a live owner's is never touched."""
    try:
        import fcntl
    except ImportError:
        return []
    removed = []
    for path in sorted(root.glob(f"{PREFIX}*")):
        try:
            fd = os.open(path / LOCK, os.O_RDWR)
        except FileNotFoundError:  # no lock yet: a folder being made (milliseconds), or one its maker never held
            if _age_s(path) > UNHELD_AFTER_S:
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
            continue
        except OSError:  # another user's
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held: its owner lives
            os.close(fd)
            continue
        shutil.rmtree(path, ignore_errors=True)
        os.close(fd)
        removed.append(path)
    return removed


def _age_s(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


def _remove() -> None:
    if _folder is None or _owner != os.getpid():
        return
    shutil.rmtree(_folder, ignore_errors=True)
    if _lock_fd is not None:
        with contextlib.suppress(OSError):
            os.close(_lock_fd)
