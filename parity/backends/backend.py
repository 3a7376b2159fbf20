"""A backend (name, server family, capabilities, saver factories) and the SaverContext its factories get."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, AsyncContextManager, Callable, ContextManager

from parity.backends.capabilities import Capability
from parity.errors import ParityUsageError
from parity.servers.endpoint import Endpoint


@dataclass
class SaverContext:
    """What a saver factory gets: where the server is and the run-scoped namespace it must stay inside."""

    endpoint: Endpoint | None
    scope: str  # unique per test: a Redis key prefix or a Postgres schema name
    options: dict[str, Any] = field(default_factory=dict)  # e.g. {"ttl": {...}} for savers that take it
    keep: bool = False  # True for a second saver on the same storage: do not drop the scope on exit

    @property
    def url(self) -> str | None:
        return self.endpoint.url if self.endpoint else None


SyncFactory = Callable[[SaverContext], ContextManager[Any]]
AsyncFactory = Callable[[SaverContext], AsyncContextManager[Any]]


@dataclass(frozen=True, kw_only=True)
class ServerNeeds:
    """What a saver needs of the server it is given, beyond the family: judged on the server found (its probe),
    so one saver can run on one server of a family and be not-applicable on another (Django's features that
    depend on the server version; SQLAlchemy's exclusions that explain themselves)."""

    modules: tuple[tuple[str, str], ...] = ()  # (name the server lists, what a person calls it)
    min_version: tuple[int, ...] = ()  # the oldest server version it works with (major, minor, ...)
    who: str = ""  # who needs them, in the reason ("langgraph-checkpoint-redis")
    # How to get a server that has them, from its probe (e.g. which build or image): the fix of the line that stops a
    # run where no selected saver of the family fits (refuse_unfit) and of the fault study C7.
    fix: Callable[[dict[str, Any]], str] | None = None

    def unmet(self, probe: dict[str, Any] | None) -> str | None:
        """Why the probed server cannot serve this saver, or None (also when nothing was probed: nothing to judge)."""
        if not probe:
            return None
        server = f"{probe.get('server') or 'the server'} {probe.get('version') or '(version unknown)'}"
        who = self.who or "this saver"
        if self.min_version and _version(probe.get("version")) < self.min_version:
            return f"{server} is older than {'.'.join(map(str, self.min_version))}, which {who} needs"
        have = set(probe.get("modules") or ())
        missing = [label for name, label in self.modules if name not in have]
        if not missing:
            return None
        listed = ", ".join(sorted(have)) or "none"
        return f"{server} lacks the modules {' and '.join(missing)} (it has: {listed}), which {who} needs"


    def fix_for(self, probe: dict[str, Any] | None) -> str:
        return self.fix(probe or {}) if self.fix else "use a server that has them, or choose savers that need none"


def refuse_unfit(backends: list["Backend"], probe_of: Callable[[str], dict[str, Any] | None]) -> None:
    """A family whose every selected saver is unfit for the server found would run nothing there: one line (exit 2)
    before the run, with the first saver's reason and its fix. A family with one fitting saver runs it and the
    others are not-applicable with their reason (a Redis without modules runs a plain RESP saver)."""
    by_family: dict[str, list[Backend]] = {}
    for b in backends:
        if b.family:
            by_family.setdefault(b.family, []).append(b)
    for family, group in by_family.items():
        if all(b.unfit for b in group):
            first = group[0]
            fix = first.needs.fix_for(probe_of(family)) if first.needs else "choose savers that fit it"
            raise ParityUsageError(f"{first.unfit}; no selected saver of the {family} family can run there "
                                   f"({', '.join(b.name for b in group)})", fix)


def _version(text: Any) -> tuple[int, ...]:
    """"9.1.2" -> (9, 1, 2); the leading dotted numbers only ("18.6 (Debian)" -> (18, 6), "7.2.4-rc1" -> (7, 2, 4))."""
    import re

    found = re.match(r"\d+(\.\d+)*", str(text or "").strip())
    return tuple(int(p) for p in found.group(0).split(".")) if found else ()


@dataclass(frozen=True)
class Repro:
    """How a standalone repro script (parity.generated.repro) opens this backend's saver: per flavour, the import
    line and the opening that sets `s` to the saver on the script's argument `arg`; what that argument is."""

    sync: tuple[str, str]
    async_: tuple[str, str]
    arg: str  # shown in the script's "Run:" line ("redis://127.0.0.1:PORT")

    @classmethod
    def of(cls, sync_class: str, async_class: str, arg: str, *, conn: str = "arg", sync_setup: str = "s.setup()",
           async_setup: str = "await s.setup()") -> "Repro":
        """The usual opening: Saver.from_conn_string(conn) entered on the script's exit stack, then its setup."""
        def line(path: str, enter: str, setup: str) -> tuple[str, str]:
            module, _, name = path.rpartition(".")
            return f"from {module} import {name}", f"s = {enter}({name}.from_conn_string({conn}))" + (
                f"; {setup}" if setup else "")
        return cls(line(sync_class, "st.enter_context", sync_setup),
                   line(async_class, "await st.enter_async_context", async_setup), arg)


@dataclass
class Backend:
    name: str
    family: str | None  # the server family it needs (a name of parity.families) or None
    capabilities: frozenset[Capability]
    sync_factory: SyncFactory | None
    async_factory: AsyncFactory | None
    doc: str
    origin: str = "built-in"  # or the dotted path / entry point it came from
    # A third-party saver without declared capabilities has them detected once its server exists (see resolve()).
    detect: Callable[[Endpoint | None], frozenset[Capability]] | None = None
    # Why a flavour has no cells, when its factory cannot give it (an `async def` factory has no sync saver; a
    # saver whose async methods only raise has no async API): said in the report instead of a silent gap.
    absent: dict[str, str] = field(default_factory=dict)
    # The classes of the savers its factories gave in this process: a finding names their distributions' versions
    # (parity.versions), read from what ran rather than declared.
    saver_classes: set[type] = field(default_factory=set)
    # What it needs of the server found; when the probed server lacks it, `unfit` says why and every cell of this
    # backend is not-applicable with that reason (set by resolve(), or on first read when resolve() deferred it).
    needs: ServerNeeds | None = None
    _unfit: str | None = field(default=None, repr=False)
    _unfit_pending: Callable[[], str | None] | None = field(default=None, repr=False)
    # How a repro script opens it (a built-in saver); None: opened as the matrix opens it, through its origin.
    repro: Repro | None = None

    @property
    def unfit(self) -> str | None:
        """Why the server found does not fit this saver, or None. A deferred judgement (resolve(eager=False)) is
        made here, on first read: that starts the family's server, as the first cell would."""
        if self._unfit_pending is not None:
            from parity.servers.pool import Unavailable

            pending, self._unfit_pending = self._unfit_pending, None
            try:
                self._unfit = pending()
            except Unavailable:  # no server: the cells say so with the pool's reason
                self._unfit = None
        return self._unfit

    @unfit.setter
    def unfit(self, why: str | None) -> None:
        self._unfit_pending, self._unfit = None, why

    def resolve(self, endpoint_for: Callable[[str], Endpoint], eager: bool = True) -> None:
        """Judge the server found against what the saver needs, and detect the capabilities of an undeclared
        third-party saver, with its server when it names a family. eager=False defers the judgement of the server
        to the first read of `unfit`, so a session that runs no cell starts no server for it.

        endpoint_for may raise (server unavailable): the default capabilities stay and the cells say why.
        """
        if self.needs is not None and self.family:
            needs, family = self.needs, self.family
            if eager:
                self.unfit = needs.unmet(endpoint_for(family).probe)
            else:
                self._unfit_pending = lambda: needs.unmet(endpoint_for(family).probe)
        if self.detect is None:
            return
        detect, self.detect = self.detect, None
        endpoint = endpoint_for(self.family) if self.family else None
        try:
            self.capabilities = detect(endpoint)
        except ParityUsageError:
            raise
        except Exception as exc:
            first = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
            server = f"with its {self.family} server" if self.family else "without a server"
            raise ParityUsageError(
                f"saver {self.name!r} ({self.origin}) failed when called {server} to detect its capabilities: {first}",
                "fix the factory; if it needs a server set factory.parity_family to its family "
                f"({', '.join(_family_names())}); "
                "or declare factory.parity_capabilities = [...]") from None

    def describe(self) -> dict[str, Any]:
        """What a run records about the backend it was asked to test (results.json run.backends)."""
        return {"name": self.name, "origin": self.origin, "family": self.family, "flavours": self.flavours(),
                "capabilities": sorted(c.value for c in self.capabilities),
                **({"unfit": self._unfit} if self._unfit else {})}  # as judged so far: describing starts no server

    def flavours(self) -> list[str]:
        return [f for f, cap in (("sync", Capability.SYNC), ("async", Capability.ASYNC)) if cap in self.capabilities]

    def has(self, *caps: Capability) -> bool:
        """Whether it offers every one of caps on the server found: nothing when that server does not fit it."""
        return self.unfit is None and all(c in self.capabilities for c in caps)

    def missing(self, *caps: Capability) -> list[Capability]:
        return [c for c in caps if c not in self.capabilities]

    def saver(self, flavour: str, ctx: SaverContext):
        factory = self.sync_factory if flavour == "sync" else self.async_factory
        if factory is None:
            raise ParityUsageError(f"backend {self.name!r} has no {flavour} saver")
        from parity.versions import Noting

        return Noting(factory(ctx), self.saver_classes)


def _family_names() -> tuple[str, ...]:
    from parity import families

    return families.names()
