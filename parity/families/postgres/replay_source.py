"""A PostgresSaver's tables as a replay source, read in a session the server keeps read-only."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Iterator

from parity.errors import ParityUsageError
from parity.replay.store import ReadOnlyReader, Source, store_of
from parity.servers.endpoint import mask_url

PG_TABLES = ("checkpoints", "checkpoint_blobs", "checkpoint_writes")


def known_postgres_version() -> int:
    """The checkpoint_migrations version the installed PostgresSaver reads and writes: its last migration's index."""
    from langgraph.checkpoint.postgres.base import MIGRATIONS

    return len(MIGRATIONS) - 1


@contextlib.contextmanager
def open_postgres(url: str, schema: str | None) -> Iterator[Source]:
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
