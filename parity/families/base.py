"""The interface every server family implements: what differs between Redis, Postgres (and a next one)."""

from __future__ import annotations

import contextlib
import dataclasses
import enum
from typing import Any, AsyncIterator, Awaitable, Callable, ClassVar, Iterator

from parity.servers.probe import check_url_form


@dataclasses.dataclass(frozen=True)
class ClientTimeouts:
    """What a family's client driver offers against a stalled link, and the URL query the outage study configures."""

    driver: str
    read_timeout: bool  # the driver itself gives up on a read after a configured time
    query: str  # added to the URL for the "with timeout" run (the read timeout, or every knob there is)
    why_not: str = ""  # when read_timeout is False: why, and where the bound is tested instead


class Lever(str, enum.Enum):
    """What a family's servers let a fault study do beyond start, stop, kill and stall (every owned server has those).
    A family declares its levers (Family.fault_levers) and implements the hooks each names; a study needing a lever
    its target's family does not declare is not-applicable with that reason (parity/injecting/targets.py)."""

    # Each key of a scope with its time-to-live (Family.scope_ttls): the TTL study sees every key get one and go.
    KEY_TTL = "key-ttl"
    # A memory limit with an eviction policy, set on a running server and lifted again (Family.memory_limit): the
    # error at the limit and the threads after eviction.
    MEMORY_LIMIT = "memory-limit"
    # The embedded server starts without its modules (embedded()(root, settings, modules=False)): what a saver that
    # needs modules (Backend.needs) does on such a server, and what the suite says about it.
    WITHOUT_MODULES = "without-modules"
    # Embedded servers started with Family.cluster_settings form one cluster (Family.form_cluster); a saver whose
    # backend declares Capability.CLUSTER opens on it.
    CLUSTER = "cluster"
    # A saver on a connection pool that checks its connections (Family.pooled_saver): does it recover after an outage.
    POOLED_SAVER = "pooled-saver"


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

    # What the fault studies can do to its servers besides start/stop/kill/stall: the hooks below each lever names.
    fault_levers: ClassVar[frozenset[Lever]] = frozenset()

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

    # Fault levers (fault_levers says which a family has; parity/injecting/ calls them on servers the suite owns).
    def scope_ttls(self, url: str, scope: str) -> dict[str, int]:
        """Lever.KEY_TTL: {key: seconds to live, -1 for none} of every key a saver in `scope` wrote."""
        raise NotImplementedError

    @contextlib.contextmanager
    def memory_limit(self, url: str, headroom: int, policy: str) -> Iterator[Callable[[], dict[str, int]]]:
        """Lever.MEMORY_LIMIT: limit the server to what it uses now plus `headroom` bytes, evicting by `policy`
        ("noeviction", "allkeys-lru"); yields a reading of {"keys", "used"} at the limit; lifted on exit."""
        raise NotImplementedError
        yield

    def cluster_settings(self, cluster_port: int) -> dict[str, Any]:
        """Lever.CLUSTER: the settings of one embedded cluster node (cluster_port: its bus port)."""
        raise NotImplementedError

    def form_cluster(self, servers: list) -> str | None:
        """Lever.CLUSTER: join the started nodes into one cluster; None once it serves, else why not in words."""
        raise NotImplementedError

    def pooled_saver(self, url: str, scope: str):
        """Lever.POOLED_SAVER: a context manager of the family's main sync saver on a pool that checks its connections,
        in `scope` (made here); the label of such a saver in the outage rows is pooled_what."""
        raise NotImplementedError

    # What pooled_saver() is, in words for the outage rows.
    pooled_what: ClassVar[str] = ""
