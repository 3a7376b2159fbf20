"""The interface every server family implements: what differs between Redis, Postgres (and a next one)."""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any, AsyncIterator, Awaitable, Callable, ClassVar, Iterator

from parity.servers.probe import check_url_form


@dataclasses.dataclass(frozen=True)
class ClientTimeouts:
    """What a family's client driver offers against a stalled link, and the URL query the outage study configures."""

    driver: str
    read_timeout: bool  # the driver itself gives up on a read after a configured time
    query: str  # added to the URL for the "with timeout" run (the read timeout, or every knob there is)
    why_not: str = ""  # when read_timeout is False: why, and where the bound is tested instead


# Every name of this machine: a store reached through any of them is one store ("" or a folder: a Unix socket).
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", ""})


def store_host(host: Any) -> str:
    """A server's host as part of a store's identity: "loopback" for this machine, else the host in lower case."""
    text = str(host or "").lower()
    return "loopback" if text in LOOPBACK or text.startswith("/") else text


class Family:
    """One kind of server the savers store into. Subclass it in a module of parity/families/ and set FAMILY.

    Harness code asks the family of an endpoint or backend (`parity.families.get(name)`) instead of
    branching on its name; the defaults below are what a family without the feature gets.
    """

    name: ClassVar[str]
    # What a person calls it, in help texts and report lines ("Redis").
    title: ClassVar[str]
    # Where the family comes in reports and studies (lowest first): the migration's target, Redis, leads.
    order: ClassVar[int] = 100
    # The environment variable an external server's URL comes from (--provider external).
    url_env: ClassVar[str]
    # Variables that usually hold such a URL elsewhere but the suite never reads: set, they get a warning.
    other_url_envs: ClassVar[tuple[str, ...]] = ()
    # URL schemes a server of this family is reached by, and an example for the one-line usage error.
    url_schemes: ClassVar[tuple[str, ...]]
    url_example: ClassVar[str]
    # The suite can start this server itself on Windows (False: a Windows CI job needs an external server's URL).
    embedded_on_windows: ClassVar[bool] = True
    # Savers are isolated per test by a Postgres-style schema (True) or by a key prefix (False).
    schema_scoped: ClassVar[bool] = False
    # The bare round trip the floors and the placement study time, in words ("PING").
    ping_what: ClassVar[str]
    # Prefix of this family's keys among a window's server events (e.g. "redis_" -> redis_forks).
    events_prefix: ClassVar[str]
    # What stored_bytes() measures, in words for the report.
    stored_counter: ClassVar[str]
    # Server settings that count every command, when counting needs a preload (None: counted out of the box).
    statements_settings: ClassVar[dict[str, str] | None] = None
    # What counts the commands when statements_settings are needed, in words for a "not measured" reason.
    statements_what: ClassVar[str] = ""
    # Settings per durability pairing of the latency benchmark: "defaults", "strict", "relaxed".
    pairing_settings: ClassVar[dict[str, dict[str, Any] | None]]
    # (label, settings, must_keep_on_kill) per durability setting of the crash study (None: no expectation).
    durability_settings: ClassVar[tuple[tuple[str, dict[str, Any], bool | None], ...]] = ()
    # Settings of the fault studies: nothing written to disk behind their back / every acknowledged write on disk.
    no_persistence: ClassVar[dict[str, Any]] = {}
    persistent: ClassVar[dict[str, Any]] = {}

    # The distributions its savers and client run on, whose versions the results document records.
    packages: ClassVar[tuple[str, ...]] = ()
    # What a repro script's argument is for a saver on this family's server, in its "Run:" line.
    repro_arg: ClassVar[str] = "saver"

    # The backend `--pair INCUMBENT:CANDIDATE` and a team's fixtures mean by the family's name: its main saver.
    default_backend: ClassVar[str]

    def backends(self) -> list:
        """The savers of this family (parity.backends.backend.Backend), with their capabilities; a saver whose
        fit depends on the server found declares Backend.needs (modules, ...), judged on the probed server."""
        return []

    def saver_classes(self) -> dict[str, tuple[str, ...]]:
        """{backend: (sync class path, async class path)}: names the backend of a saver built elsewhere."""
        return {}

    def saver_store(self, saver: Any) -> tuple | None:
        """(family name, where...) of the storage a saver of this family writes to: two savers on one store give the
        same tuple (a ShadowSaver refuses a candidate on its primary's store); None: not a saver this family knows."""
        return None

    def url_store(self, url: str) -> tuple | None:
        """(family name, host, port, database) of a URL of this family's server: two URLs naming one storage give the
        same tuple (replay refuses a target that is its source); None: not a URL of this family."""
        return None

    def replay_reader(self):
        """How `parity replay --from URL` reads this family's store (parity.replay.store.ReplayReader), or None."""
        return None

    def point_langgraph_tests(self, url: str) -> None:
        """Point LangGraph's own test suite's fixtures for this server (a fixed port) at the suite's server at url,
        in memory only (`parity langgraph-tests`); nothing when its suite has none."""

    def client_timeouts(self, seconds: float) -> "ClientTimeouts":
        """What the family's client driver offers against a stalled link, configured for `seconds`."""
        raise NotImplementedError

    def check_url(self, url: str) -> None:
        check_url_form(url, self.url_schemes, self.url_example)

    def probe(self, url: str) -> dict[str, Any]:
        """Version, modules, settings that matter and round-trip time; a ParityUsageError line when unusable."""
        raise NotImplementedError

    def embedded(self) -> type:
        """The class of a server of this family the suite starts itself (parity/servers/embedded.py)."""
        raise NotImplementedError

    # The official image --provider testcontainers runs (--image FAMILY=IMAGE / $PARITY_<FAMILY>_IMAGE override it).
    container_image: ClassVar[str]

    def container_spec(self, settings: dict[str, Any] | None = None, *, image: str | None = None,
                       host_port: int | None = None):
        """The ContainerSpec for --provider testcontainers; host_port: host networking, listen on that port."""
        raise NotImplementedError

    # A stand-in image can be built for Docker hosts with no registry (parity/servers/standins.py).
    has_standin: ClassVar[bool] = False
    # Folders of the stand-ins' base image owned by the server user, {path: mode}, beside /data.
    standin_dirs: ClassVar[dict[str, int]] = {}

    def standin(self, base: str, uid: int) -> tuple[str, str, dict[str, Any]]:
        """(Dockerfile FROM base running as uid, entrypoint script, {path in the build context: local source})."""
        raise NotImplementedError

    def transient_errors(self) -> tuple[type[BaseException], ...]:
        """What sync_ping raises while a starting server does not serve yet (a container waits through these)."""
        raise NotImplementedError

    @contextlib.contextmanager
    def sync_ping(self, url: str, timeout: float | None = None) -> Iterator[Callable[[], Any]]:
        """A connection and a call doing one bare round trip on it; timeout bounds connecting and the call
        (a readiness check must not hang on a port that accepts but never answers)."""
        raise NotImplementedError
        yield

    @contextlib.asynccontextmanager
    async def async_ping(self, url: str) -> AsyncIterator[Callable[[], Awaitable[Any]]]:
        raise NotImplementedError
        yield

    @contextlib.contextmanager
    def sync_identity(self, url: str, timeout: float) -> Iterator[Callable[[], str]]:
        """A connection and a read-only call returning what identifies the running server process (it changes when
        the server restarts), for the run's server watch (parity/servers/watch.py); timeout bounds connecting."""
        raise NotImplementedError
        yield

    def stats_reader(self, url: str, schemas: list[str]):
        """A reader of the server's own statistics (forks, fsyncs, autovacuum ...), see parity/measuring/server_events.py:
        read() -> snapshot, delta(a, b) -> {event name (events_prefix...): value}, close()."""
        raise NotImplementedError

    # What the reader's events are, in words for the report.
    events_what: ClassVar[str] = ""

    def notable_events(self) -> tuple[str, ...]:
        """The event names (with the prefix) that can explain a latency shift."""
        return ()

    def describe_events(self, ev: dict[str, Any], plural: Callable[[int, str], str]) -> list[str]:
        """This family's notable events of one window in words ("1 Redis fork (BGSAVE)")."""
        return []

    def open_counter(self, url: str, statements: bool):
        """A connection for counting commands, or None when this server cannot count them."""
        return None

    def counts_statements(self, url: str) -> bool:
        """Whether the server at url counts every command once ready (making ready what it can, e.g. an extension);
        may raise when it cannot tell (permissions, a build without it)."""
        return True

    def commands(self, conn) -> int:
        """Commands the server has run so far, read on a connection from open_counter()."""
        raise NotImplementedError

    def reset_commands(self, conn) -> None:
        """Zero the command counter before a measured window, when it can be."""

    def commands_counter(self, statements: bool) -> str | None:
        """What commands() counts, in words for the report (None: not counted)."""
        return None

    def stored_bytes(self, url: str, scope: str) -> int:
        """Bytes the server holds for a scope (or in all, when it cannot tell scopes apart)."""
        raise NotImplementedError

    @contextlib.contextmanager
    def production_saver(self, url: str, scope: str | None) -> Iterator[Any]:
        """The full sync saver on a server in its production namespace (default prefix / schema) or in `scope`,
        set up; what `parity migrate` copies between."""
        raise NotImplementedError
        yield

    # A run-scoped namespace (SQLAlchemy's provision hooks): made before a saver opens in it, dropped after. The
    # scope name is checked first (parity.backends.provision.check_scope): it is spliced into names and patterns.
    def scoped_url(self, url: str, scope: str) -> str:
        """The URL a saver in `scope` connects with (a key-prefix family: the server's own)."""
        return url

    def create_scope(self, url: str, scope: str) -> None:
        """Make the scope's namespace, when the server needs one made (a key prefix needs nothing)."""

    def drop_scope(self, url: str, scope: str) -> int | None:
        """Remove the scope and everything in it, nothing else (never FLUSHDB / DROP DATABASE); keys removed, if counted."""
        raise NotImplementedError

    async def acreate_scope(self, url: str, scope: str) -> None:
        """create_scope from async code (default: the sync one, on the loop; a family with an async driver overrides)."""
        self.create_scope(url, scope)

    async def adrop_scope(self, url: str, scope: str) -> None:
        self.drop_scope(url, scope)

    def after_restart(self, url: str) -> None:
        """Wait until a restarted server serves the savers again (e.g. search indexes rebuilt)."""
