"""A team's checkpoint store opened strictly read-only: which threads it holds, and a reader of their checkpoints."""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote, urlsplit

from parity.errors import ParityUsageError
from parity.replay.store import ReadOnlyReader, Source, store_of
from parity.servers.endpoint import mask_url

PG_TABLES = ("checkpoints", "checkpoint_blobs", "checkpoint_writes")
SQLITE_TABLES = ("checkpoints", "writes")


def kind_of(url: str) -> str:
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("postgresql", "postgres"):
        return "postgres"
    if scheme == "sqlite":
        return "sqlite"
    if scheme in ("redis", "rediss"):
        return "redis"
    raise ParityUsageError(f"--from {mask_url(url)!r} is not a checkpoint store URL this replay reads",
                           "give --from postgresql://user:password@host:5432/dbname, redis://host:6379/0 or "
                           "sqlite:///path/to/file.sqlite")


@contextlib.contextmanager
def open_source(url: str, schema: str | None = None, prefix: str | None = None) -> Iterator[Source]:
    """The store at url, read-only: schema is a Postgres schema, prefix a RedisSaver checkpoint_prefix."""
    from parity.replay.redis_source import open_redis

    kind = kind_of(url)
    for given, flag, needs in ((schema, "--from-schema", "postgres"), (prefix, "--from-prefix", "redis")):
        if given is not None and kind != needs:
            raise ParityUsageError(f"{flag} is for a {needs} source, not {kind}", f"leave {flag} out")
    opener = {"postgres": lambda: _open_postgres(url, schema), "sqlite": lambda: _open_sqlite(url, schema),
              "redis": lambda: open_redis(url, prefix)}[kind]
    with opener() as source:
        yield source


# ---- Postgres (PostgresSaver's tables) ---------------------------------------------------------------------

def known_postgres_version() -> int:
    """The checkpoint_migrations version the installed PostgresSaver reads and writes: its last migration's index."""
    from langgraph.checkpoint.postgres.base import MIGRATIONS

    return len(MIGRATIONS) - 1


@contextlib.contextmanager
def _open_postgres(url: str, schema: str | None) -> Iterator[Source]:
    import psycopg
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.rows import dict_row

    from parity.families import get
    from parity.servers.probe import CONNECT_TIMEOUT_S

    where = mask_url(url)
    try:
        url = get("postgres").scoped_url(url, schema) if schema else url
    except ValueError:
        raise ParityUsageError(f"--from-schema {schema!r} is not a schema name replay accepts",
                               "give a lower-case name: a letter, then letters, digits or _ (at most 63)") from None
    try:
        conn = psycopg.connect(url, autocommit=True,
                               prepare_threshold=0, row_factory=dict_row, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.Error as exc:
        from parity.families.postgres import _postgres_fix, _postgres_reason

        raise ParityUsageError(f"replay source: {_postgres_reason(where, str(exc))}", _postgres_fix(str(exc))) from None
    with conn:
        # Every statement of this session now runs in a read-only transaction: the server refuses any write,
        # whatever the role may do. Checked, not assumed.
        conn.execute("SET default_transaction_read_only = on")
        if conn.execute("SHOW transaction_read_only").fetchone()["transaction_read_only"] != "on":
            raise ParityUsageError(f"replay source {where}: the session would not become read-only",
                                   "check the server's settings; replay reads only inside read-only transactions")
        version = _postgres_checked(conn, where)
        yield Source("postgres", where, ReadOnlyReader(PostgresSaver(conn)), version, store_of(url),
                     lambda since: _postgres_threads(conn, since),
                     notes=["pending writes are replayed without their task_path (the saver API does not return it)"])


def _postgres_checked(conn, where: str) -> int:
    """The source holds PostgresSaver's tables at the schema version the installed saver reads; else one line."""
    import psycopg

    fix_where = "point --from at the database the app's PostgresSaver writes to (and --from-schema if not public)"
    try:
        found = conn.execute("SELECT " + ", ".join(f"to_regclass(%s) AS {t}" for t in PG_TABLES + ("checkpoint_migrations",)),
                             PG_TABLES + ("checkpoint_migrations",)).fetchone()
        missing = [t for t in PG_TABLES if found[t] is None]
        if len(missing) == len(PG_TABLES):
            raise ParityUsageError(f"replay source {where} has no checkpoint tables ({', '.join(PG_TABLES)})", fix_where)
        if missing:
            raise ParityUsageError(f"replay source {where} lacks the checkpoint table(s) {', '.join(missing)}", fix_where)
        if found["checkpoint_migrations"] is None:
            raise ParityUsageError(f"replay source {where}: unknown schema version (no checkpoint_migrations table)",
                                   "replay reads stores written by PostgresSaver.setup(); point --from at one")
        version = conn.execute("SELECT max(v) AS v FROM checkpoint_migrations").fetchone()["v"]
    except psycopg.errors.InsufficientPrivilege as exc:
        raise ParityUsageError(f"replay source {where}: {str(exc).splitlines()[0]}",
                               "GRANT SELECT on the checkpoint tables to the role in --from") from None
    known = known_postgres_version()
    if version != known:
        from importlib.metadata import version as installed

        lib = f"langgraph-checkpoint-postgres {installed('langgraph-checkpoint-postgres')}"
        if version is None or version > known:
            raise ParityUsageError(f"replay source {where}: unknown schema version {version} (checkpoint_migrations; "
                                   f"{lib} knows up to {known})",
                                   "install the langgraph-checkpoint-postgres version the app runs "
                                   "(pip install -U langgraph-checkpoint-postgres)")
        raise ParityUsageError(f"replay source {where}: schema version {version} is older than the {known} {lib} reads",
                               "run the app's saver setup() to migrate it, or install the langgraph-checkpoint-postgres "
                               "version the app runs; replay never migrates a source")
    return version


def _postgres_threads(conn, since: datetime | None) -> list[str]:
    """Thread ids whose newest checkpoint's own timestamp (checkpoint.ts) is at/after since."""
    import psycopg

    try:
        return _postgres_thread_rows(conn, since)
    except psycopg.Error as exc:  # e.g. a checkpoint whose ts is not a time: --since cannot work on this store
        raise ParityUsageError(f"replay source: listing threads failed: {str(exc).splitlines()[0]}",
                               "leave --since out" if since else "check the role's SELECT grant on checkpoints") from None


def _postgres_thread_rows(conn, since: datetime | None) -> list[str]:
    if since is None:
        rows = conn.execute("SELECT DISTINCT thread_id FROM checkpoints ORDER BY thread_id").fetchall()
    else:
        rows = conn.execute("SELECT thread_id FROM checkpoints GROUP BY thread_id "
                            "HAVING max((checkpoint->>'ts')::timestamptz) >= %s ORDER BY thread_id", (since,)).fetchall()
    return [r["thread_id"] for r in rows]


# ---- sqlite (SqliteSaver's file) ---------------------------------------------------------------------------

@contextlib.contextmanager
def _open_sqlite(url: str, schema: str | None) -> Iterator[Source]:
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
        yield Source("sqlite", url, ReadOnlyReader(saver), None, store_of(url), lambda since: _sqlite_threads(conn, since),
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
