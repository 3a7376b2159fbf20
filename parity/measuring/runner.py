"""Where benchmark code runs: endpoints per durability pairing, and a coroutine under the flavour's loop."""

from __future__ import annotations

from typing import Any, Awaitable

from parity.measuring.latency import PAIRINGS
from parity.servers.pool import Unavailable
from parity.reasons import not_applicable


def run_sync(coro: Awaitable) -> Any:
    """Drive a coroutine that never suspends (the sync flavour): no event loop is involved at all."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise RuntimeError("a sync-flavour benchmark awaited something: it must not touch an event loop")


class Runner:
    def __init__(self, session, profile) -> None:
        self.session, self.profile = session, profile
        self._pairings: dict[str, dict[str, Any]] = {}

    def flavour_loops(self) -> list[tuple[str, str | None]]:
        """("sync", None) and ("async", loop) for every applicable loop of the run."""
        out: list[tuple[str, str | None]] = [("sync", None)]
        out += [("async", lp.name) for lp in self.session.loops if lp.applicable]
        return out

    def run(self, flavour: str, loop: str | None, coro_fn, *args) -> Any:
        if flavour == "sync":
            return run_sync(coro_fn(*args))
        lp = next(lp for lp in self.session.loops if lp.name == loop)
        ev = lp.factory()
        try:
            return ev.run_until_complete(coro_fn(*args))
        finally:
            ev.run_until_complete(ev.shutdown_asyncgens())
            ev.close()

    def server_pids(self) -> set[int]:
        """Processes of every server the suite owns now (session servers and pairing servers): their CPU time is
        the measurement's own, not the machine's noise."""
        eps = list(self.session.pool.endpoints()) + [ep for eps in self._pairings.values() for ep in eps.values()]
        return {ep.pid for ep in eps if ep.owned and ep.pid}

    def endpoints(self, pairing: str) -> dict[str, Any]:
        """family -> endpoint for a pairing; defaults = the session servers, others = owned servers with settings."""
        if pairing in self._pairings:
            return self._pairings[pairing]
        families = {b.family for b in self.session.backends if b.family}
        eps: dict[str, Any] = {}
        for family in sorted(families):
            settings = PAIRINGS[pairing][family]
            try:
                eps[family] = self.session.endpoint(family) if settings is None else self._owned(family, settings)
            except Unavailable as exc:
                not_applicable("server", family, str(exc))
        self._pairings[pairing] = eps
        return eps

    def _owned(self, family: str, settings: dict[str, Any]):
        from parity.families import probe
        from parity.servers.readiness import ServerStartError

        try:
            server = self.session.pool.start_owned(family, settings)
        except ServerStartError as exc:
            not_applicable("server", family, f"cannot start an owned {family} with {settings}: {exc}")
        ep = server.endpoint()
        ep.probe = probe(family, ep.url)
        ep.settings = {**ep.probe.get("settings", {}), **ep.settings}
        return ep
