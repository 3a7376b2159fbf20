"""A SqliteSaver's file as a replay source, opened read-only by SQLite itself."""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote, urlsplit

from parity.backends.builtin import SQLITE
from parity.errors import ParityUsageError
from parity.replay.store import ReadOnlyReader, ReplayReader, Source, store_of

SQLITE_TABLES = ("checkpoints", "writes")


@contextlib.contextmanager
def open_sqlite(url: str, scope: str | None) -> Iterator[Source]:
    from langgraph.checkpoint.sqlite import SqliteSaver

    path = Path(unquote(urlsplit(url).path))
    if not path.is_file():
        raise ParityUsageError(f"replay source {url}: no such file {path}",
                               "give sqlite:///absolute/path/to/checkpoints.sqlite (three slashes, then the path)")
    # mode=ro: SQLite itself refuses every write on this connection.
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro{_immutable(path)}", uri=True, check_same_thread=False)
    try:
        _sqlite_checked(conn, url)
        saver = SqliteSaver(conn)
        saver.is_setup = True  # its setup() would create tables and switch the journal mode: a write
        yield Source(SQLITE, url, ReadOnlyReader(saver), None, store_of(url), lambda since: _sqlite_threads(conn, since),
                     notes=["SqliteSaver keeps no schema version: its tables are checked by name"])
    finally:
        conn.close()


def _immutable(path: Path) -> str:
    """A WAL-mode file with no -wal beside it is closed (SQLite removes the -wal with its last connection); a
    read-only connection would create -wal and -shm files there and leave them, so it opens the file as immutable
    (no WAL, no locks) instead. A file in use keeps its -wal: it is read through it, creating nothing."""
    with path.open("rb") as f:
        header = f.read(20)
    wal_mode = len(header) == 20 and header[:16] == b"SQLite format 3\x00" and header[18] == 2
    return "&immutable=1" if wal_mode and not path.with_name(path.name + "-wal").exists() else ""


def _sqlite_checked(conn, url: str) -> None:
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise ParityUsageError(f"replay source {url} is not a readable SQLite database: {exc}",
                               "point --from at the file the app's SqliteSaver writes to") from None
    missing = [t for t in SQLITE_TABLES if t not in names]
    if missing:
        what = "no checkpoint tables" if len(missing) == len(SQLITE_TABLES) else f"no table(s) {', '.join(missing)}"
        raise ParityUsageError(f"replay source {url} has {what} ({', '.join(SQLITE_TABLES)})",
                               "point --from at the file the app's SqliteSaver writes to")


def _sqlite_threads(conn, since: datetime | None) -> list[str]:
    """Thread ids whose newest checkpoint id (a uuid6, time-ordered) was made at/after since."""
    rows = conn.execute("SELECT thread_id, max(checkpoint_id) FROM checkpoints GROUP BY thread_id ORDER BY thread_id")
    # An id that is not a uuid6 has no time: such a thread is not "since" anything and is left out.
    return [tid for tid, newest in rows if since is None or ((made := checkpoint_time(newest)) and made >= since)]


def checkpoint_time(checkpoint_id: str) -> datetime | None:
    """When a LangGraph checkpoint id (uuid6: 60-bit count of 100 ns since 1582-10-15) was made; None if not a uuid6."""
    import uuid

    try:
        u = uuid.UUID(checkpoint_id)
    except (ValueError, TypeError):
        return None
    if u.version != 6:
        return None
    ticks = ((u.int >> 96) << 28) | (((u.int >> 80) & 0xFFFF) << 12) | ((u.int >> 64) & 0x0FFF)
    return datetime(1582, 10, 15, tzinfo=timezone.utc) + timedelta(microseconds=ticks // 10)


# The serverless backend's reader: its URL scheme is the backend's name.
READER = ReplayReader((SQLITE,), "sqlite:///path/to/file.sqlite", None, open_sqlite)
