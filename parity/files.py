"""Every file the suite writes for the user: whole or not at all, and a full disk or a read-only folder said in one line.

A reader sees the old file or the whole new one, never half (a temp file beside it, then an atomic rename). When the
write fails (no space left, no permission, a read-only mount) the temp file is removed and a ParityUsageError names the
path and the fix, which the CLI prints as one line with exit 2.
"""

from __future__ import annotations

import contextlib
import errno
from pathlib import Path

from parity.errors import ParityUsageError

# Where else the file can go, for a run directory (`parity run --out`); other writers pass their own.
OUT_FIX = "give --out another folder"
FULL = (errno.ENOSPC, errno.EDQUOT)


def unwritable(path: Path, exc: OSError, fix: str = OUT_FIX) -> ParityUsageError:
    """One line: which file could not be written, why, and the fix."""
    if exc.errno in FULL:
        return ParityUsageError(f"no space left to write {path} ({exc.strerror}); nothing half-written was left there",
                                f"free space on that disk, or {fix}")
    return ParityUsageError(f"cannot write {path}: {exc.strerror or exc}", f"make it writable, or {fix}")


def write_atomic(path: Path, text: str, fix: str = OUT_FIX) -> Path:
    """Write text to path through `path.tmp`: whole or not at all; on failure the temp file is gone too."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)  # ENOSPC may come here or only at close (the page cache flushed): both are in the try
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise unwritable(path, exc, fix) from None
    return path


def append_line(path: Path, line: str, fix: str) -> None:
    """Append one line, or leave the file as it was: a half line would make the whole file unreadable."""
    size = path.stat().st_size if path.exists() else None
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(line)
    except OSError as exc:
        with contextlib.suppress(OSError):
            if size is None:
                path.unlink()
            else:
                with open(path, "r+b") as fh:
                    fh.truncate(size)
        raise unwritable(path, exc, fix) from None


def make_dir(path: Path, fix: str = OUT_FIX) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise unwritable(path, exc, fix) from None
    return path


def check_folder(path: Path, what: str, fix: str) -> None:
    """A folder the run will write into later (created then if missing): a ParityUsageError line now, before any
    test, when it is a file, or it or its nearest existing parent cannot be written (no permission, read-only disk)."""
    import os

    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ParityUsageError(f"{what} {path} cannot be made: {existing} is a file, not a folder", fix)
    if not os.access(existing, os.W_OK | os.X_OK):
        cause = "is on a read-only disk" if _read_only(existing) else "is not writable for this user"
        raise ParityUsageError(f"{what} {path} cannot be written: {existing} {cause}", fix)


def _read_only(path: Path) -> bool:
    import os

    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # no statvfs (Windows)
        return False
