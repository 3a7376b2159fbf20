"""What one pytest session shares: options, registry, servers, the results document, the reference traces."""

from __future__ import annotations

import contextlib
import itertools
import random
import uuid
from typing import Any, Callable

from parity import loops as loops_mod
from parity import finish, results, sections
from parity.backends.registry import Registry, registry_with
from parity.backends.backend import refuse_unfit
from parity.errors import ParityUsageError
from parity.judging.findings import load_known
from parity.options import Options
from parity.servers.pool import ServerConfig, ServerPool, Unavailable
from parity.servers.watch import ServerWatch


def selection(options: Options) -> tuple[ServerConfig, Registry, list, list]:
    """What the options name, checked once (a ParityUsageError if bad): servers, registry, backends, loops."""
    server_config = ServerConfig.from_args(options)
    registry = registry_with(options.savers)
    return server_config, registry, registry.select(options.backends), loops_mod.select(options.loops)


class ParitySession:
    def __init__(self, options: Options, worker: str | None = None) -> None:
        self.options = options
        self.worker = worker  # pytest-xdist worker id; workers write parts the controller merges
        self.server_config, self.registry, self.backends, self.loops = selection(options)
        self._check_workloads(options.workloads)
        if options.hypothesis_db is not None and not worker:  # the per-user cache: said before any test, not mid-run
            from parity.files import check_folder

            check_folder(options.hypothesis_db, "the example database (Hypothesis' cache of generated failures)",
                         "pass --hypothesis-db DIR (or set PARITY_HYPOTHESIS_DB) to a folder you can write, or "
                         "--hypothesis-db off")
        self.pool = ServerPool(self.server_config)
        self.watch = ServerWatch()  # every server the cells use, from its first use on (parity/servers/watch.py)
        self.cell_windows: dict[str, tuple[float, float]] = {}  # cell id -> (setup start, end), epoch seconds
        from parity.rerun import Restarts

        self.restarts = Restarts(self)  # --restart-dead-servers: one restart per owned server (parity/rerun.py)
        try:
            if self.server_config.provider == "testcontainers":
                self.pool.preflight()  # engine and images checked before any test: one line if they are not there
            # A parity command's run (it names its results folder) judges the servers now and refuses, in one
            # line, a family where no selected saver fits the server found. Any other pytest session that loads the
            # plugin (a team's own tests, autoloaded) starts no server until a cell asks for one: there each unfit
            # saver's cells say not-applicable with the reason.
            eager = options.out is not None
            for backend in self.backends:
                with contextlib.suppress(Unavailable):  # its cells say not-applicable with the pool's reason
                    backend.resolve(self.endpoint, eager=eager)
            if eager:
                refuse_unfit(self.backends, lambda family: self.endpoint(family).probe)
        except BaseException:
            self.pool.close()
            raise
        self.doc = results.new_document(profile=options.profile)
        self.doc["run"]["backends"] = [b.describe() for b in self.backends]  # what was asked (render/opening.py)
        self.pairs = list(options.pairs)  # --pair: what every comparison of two backends reads (parity/roles.py)
        self.doc["run"]["pairs"] = [p.to_dict() for p in self.pairs]
        # of the generated examples; --parity-seed replays it
        self.seed = options.seed if options.seed is not None else random.SystemRandom().randrange(2**32)
        self.doc["run"]["seed"] = self.seed
        self.slowdowns = list(options.slowdowns or [])  # calibration's injected client-side slowdowns
        if self.slowdowns:
            self.doc["run"]["slowdowns"] = [{"backend": s.backend, "method": s.method, "share": s.share}
                                            for s in self.slowdowns]
        self.doc["run"]["default_loop"] = self.default_loop()  # the async cells' default (sync cells run none)
        self.known = load_known()
        self.references: dict[tuple[str, str], Any] = {}  # (scenario, flavour) -> reference trace
        self.run_tag = uuid.uuid4().hex[:6]
        self.failed_reports: list[dict[str, Any]] = []  # every failed test's id, phase and last line (parity.console)
        self.not_run: list[dict[str, Any]] = []  # tests outside the matrix that did not run, with why (parity.plugin)
        self._scopes = itertools.count(1)
        if options.out and not worker:  # parts left by an earlier, interrupted xdist run must not join this one
            import shutil

            shutil.rmtree(options.out / ".parts", ignore_errors=True)

    @staticmethod
    def _check_workloads(specs: list[str]) -> None:
        """A workload that does not load is bad input, said once at start (not as a collection error)."""
        if specs:
            from parity.workloads.contract import load

            for spec in specs:
                load(spec)

    def known_for(self, backend: str) -> list[dict[str, Any]]:
        """Reviewed waivers apply to the built-in savers they were reviewed on, never to a third-party saver
        whose name happens to match a pattern (e.g. "redis*" and a team's own "redis-custom")."""
        try:
            builtin = self.registry.get(backend).origin == "built-in"
        except ParityUsageError:
            builtin = False
        return self.known if builtin else []

    def new_scope(self) -> str:
        """A unique namespace per test: Redis key prefix / Postgres schema, tagged with this run."""
        return f"parity_{self.run_tag}_{next(self._scopes)}"

    def endpoint(self, family: str):
        """The session's server of a family, probed once (version, modules, settings) for the report."""
        from parity.families import probe

        ep = self.pool.get(family)
        if ep.probe is None:
            ep.probe = probe(family, ep.url, None if ep.owned else self.server_config.sources.get(family))
            ep.settings = {**ep.probe.get("settings", {}), **ep.settings}
            self.watch.watch(ep)
        return ep

    def family_of(self, backend: str) -> str | None:
        """The server family a backend's cells run on (None: in-process, or a backend this run does not know)."""
        try:
            return self.registry.get(backend).family
        except ParityUsageError:
            return None

    def cell_ended(self, cell_id: str, backend: str, status: str, start: float, end: float) -> None:
        """A cell's window, for parity.spoiled; a cell that did not pass waits for a fresh answer of its server, so
        that an absence which broke it is an event before the run is judged."""
        from parity.spoiled import SPOILABLE

        self.cell_windows[cell_id] = (start, end)
        if status in SPOILABLE:
            self.watch.confirm(self.family_of(backend))

    def default_loop(self) -> str:
        """Where sync cells run: the platform default if selected, else the first selected loop that exists."""
        applicable = [lp for lp in self.loops if lp.applicable]
        platform_default = loops_mod.default_loop().name
        if not applicable or any(lp.name == platform_default for lp in applicable):
            return platform_default
        return applicable[0].name

    def add(self, section: str, row: dict[str, Any]) -> None:
        if section in sections.figures():  # timings: the row says which provider its server came from
            row.setdefault("provider", self.provider_of(row.get("family") or row.get("backend")))
        self.doc.setdefault(section, []).append(row)

    def provider_of(self, family: str | None) -> str:
        """Where a figure's server came from: its family's session endpoint, else the session's provider."""
        for ep in self.pool.endpoints():
            if ep.family == family:
                return ep.provider
        return self.pool.chosen or self.server_config.provider

    def finish(self, update: Callable[[dict[str, Any]], None] | None = None) -> None:
        """The writer's one lifecycle of the document: the servers and events in, xdist parts merged, derived
        (parity.finish), `update` (the pytest_parity_update_json hook: a team's section, the CLI's trend), then
        validated and saved once (parity.results.save). A worker saves its rows for the controller instead."""
        from datetime import datetime, timezone

        self.doc["run"]["finished"] = datetime.now(timezone.utc).isoformat()
        self.doc["run"]["backends"] = [b.describe() for b in self.backends]  # with what the cells found unfit
        self.doc["run"]["provider"] = self.pool.chosen or self.server_config.provider
        self.doc["run"]["provider_reason"] = self.pool.provider_reason
        self.doc["servers"] = [ep.describe() for ep in self.pool.endpoints()]
        for family, reason in self.pool.unavailable().items():
            self.doc["servers"].append({"family": family, "provider": self.pool.chosen or "", "version": None,
                                        "url": "", "settings": {}, "unavailable": reason})
        from parity import spoiled

        spoiled.mark(self.doc, self.watch.events, self.cell_windows, self.family_of)
        if not self.options.out:
            return
        parts = self.options.out / ".parts"
        if self.not_run:  # in the process that ran them (an xdist worker's part carries them to the controller; a
            # part run beside this one has joined its own already, parity.cli.side)
            self.doc["run"]["not_run_tests"] = (self.doc["run"].get("not_run_tests") or []) + self.not_run
        if self.worker:
            results.save_part(self.doc, parts / self.worker)
            return
        for part in sorted(parts.glob("*/results.json")) if parts.exists() else []:
            part_doc = results.load(part)
            results.merge(self.doc, part_doc)
            for key in ("shard", "flavour_gaps", "flavours_left_out"):  # under xdist only the workers collect
                if part_doc["run"].get(key):
                    self.doc["run"].setdefault(key, part_doc["run"][key])
            self.doc["run"].setdefault("not_run_tests", []).extend(part_doc["run"].get("not_run_tests") or [])
        if not self.doc["run"].get("not_run_tests"):
            self.doc["run"].pop("not_run_tests", None)
        cells = {c.get("id") for c in self.doc.get("cells") or []}
        failed = [r for r in self.failed_reports if r["id"] not in cells]  # tests outside the matrix that broke
        if failed:
            self.doc["run"]["failed_tests"] = failed
        finish.derive(self.doc)
        if update is not None:
            update(self.doc)
        results.save(self.doc, self.options.out)
        if parts.exists():
            import shutil

            shutil.rmtree(parts, ignore_errors=True)

    def close(self) -> None:
        self.watch.stop()  # first: closing a server is no death
        self.pool.close()
