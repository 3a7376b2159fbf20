"""The pytest11 plugin: options, session-scoped servers, the backend x flavour x loop matrix, results recording.

A pytest hook's `session` argument is pytest's Session; the suite's ParitySession is `ps` here, and `session` everywhere
else (`Cell.session`, the `parity_session` fixture, `pytest_parity_finish(session=...)`, the measuring code).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any

import pytest

from parity import reasons, versions
from parity.backends.capabilities import Capability
from parity import interrupt
from parity.cell_timer import CellTimer, CellTimeout
from parity.errors import ParityUsageError
from parity.servers.containers import ContainerStartError
from parity.options import Options, add_options
from parity.servers.pool import Unavailable
from parity.session import ParitySession

# A team's own tests get the `checkpointer` fixtures from there, with this plugin; inert until a test asks for one.
pytest_plugins = ("parity.fixtures",)

SESSION_KEY = pytest.StashKey[ParitySession]()
CELL_KEY = pytest.StashKey["Cell"]()
TIMER_KEY = pytest.StashKey[CellTimer]()
LOOP_PARAM = "_asyncio_loop_factory"  # the fixture pytest-asyncio parametrizes with our loop factories


def pytest_addoption(parser) -> None:
    add_options(parser)


_FULL_TRACE = [False]  # --full-trace of the running pytest: then a Ctrl-C's whole traceback is printed


def pytest_configure(config) -> None:
    _FULL_TRACE[0] = bool(getattr(config.option, "fulltrace", False))
    config.addinivalue_line("markers", "requires(*capabilities): capabilities a backend must declare for this test")
    config.addinivalue_line("markers", "parity_claim(id): the guide's claim this scenario bears on (default C12)")
    config.addinivalue_line("markers", "parity_flavours(*names): restrict the flavours of a matrix test")
    config.addinivalue_line("markers", f"{reasons.MARKER}(kind, subject, text): the item cannot apply here, and why")
    config.addinivalue_line("markers", "parity_whole(part): never split by --shard or -n (bench, faults)")
    _refuse_xdist_for_whole_parts(config)
    try:
        workerinput = getattr(config, "workerinput", {})
        options = Options.from_pytest(config)
        if "parity_seed" in workerinput:  # xdist: every worker generates from the controller's seed
            options.seed = workerinput["parity_seed"]
        config.stash[SESSION_KEY] = ps = ParitySession(options, worker=workerinput.get("workerid"))
    except ParityUsageError as exc:
        raise pytest.UsageError(exc.line()) from None
    if ps.pool.endpoints():  # a third-party saver's capabilities were detected on its server already
        install_sigterm()
    if not ps.worker:  # progress per part, the summary, DIR/failures.txt (parity.console)
        from parity.console import Console

        config.pluginmanager.register(Console(ps, config), "parity-console")


WHOLE_PARTS = ("bench", "faults")  # their conftests mark them parity_whole; the xdist controller collects nothing


def _refuse_xdist_for_whole_parts(config) -> None:
    """pytest-xdist spreads tests over processes sharing the CPUs: fine for compat cells, wrong for timings (bench)
    and for fault tests that own and kill servers. Refused before any worker starts."""
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        return
    if getattr(config.option, "dist", "no") == "no":
        return
    from parity import layout

    try:  # the suite's own bench/ and faults/, not a team's folders of the same name (this plugin loads there too)
        root = layout.suite().root
    except ParityUsageError:
        return
    for arg in config.args or []:
        path = Path(arg.split("::", 1)[0])
        path = (path if path.is_absolute() else Path(config.invocation_params.dir) / path).resolve()
        for part in WHOLE_PARTS:
            whole = (root / part).resolve()
            if path == whole or whole in path.parents or (path in whole.parents and whole.is_dir()):
                raise pytest.UsageError(
                    f"parity: pytest-xdist (-n) is for the compat matrix only; {part}/ must run in one process "
                    f"(timings from processes sharing CPUs are not comparable, fault tests own their servers) "
                    f"(fix: run `pytest compat -n auto` and `pytest {' '.join(WHOLE_PARTS)}` separately, or "
                    f"`parity run --only compat -- -n auto`)")


def install_sigterm() -> None:
    """Ctrl-C and SIGTERM raise KeyboardInterrupt, repeated until pytest unwinds (parity.interrupt), so fixtures
    unwind and our servers stop. Installed when the first test asks for the ParitySession (not at start), so a
    repository's tests that use none of the suite's fixtures keep their own signal behaviour."""
    interrupt.install()


@pytest.hookimpl(tryfirst=True)
def pytest_keyboard_interrupt(excinfo) -> None:
    interrupt.unwinding()  # pytest caught it: fixtures and servers stop now, undisturbed by the repeats
    # CPython 3.11 can leave tb_lineno None on a frame the interrupt cut through; pytest's report of the
    # interrupt then crashes (TypeError, exit 1) instead of exiting as interrupted. Keep the entries it can show.
    try:
        entries = [e for e in excinfo.traceback if e._rawentry.tb_lineno is not None]
        # Without --full-trace pytest prints one line (where the signal landed) but first formats every entry,
        # parsing each one's source file: 1.5 s of a 5 s Ctrl-C budget on a deep benchmark stack. When the
        # interrupt is our handler's, that one line is its last entry: keep only it.
        if not _FULL_TRACE[0] and entries and entries[-1].frame.code.name == interrupt._on_signal.__name__:
            entries = entries[-1:]
        excinfo.traceback = type(excinfo.traceback)(entries)
    except Exception:  # pytest internals moved: its report stays as it was
        pass


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    node.workerinput["parity_seed"] = get_session(node.config).seed


WORKLOAD_SEEN = pytest.StashKey[bool]()


FLAVOURS_COLLECTED = pytest.StashKey[dict]()


def pytest_itemcollected(item) -> None:
    # Before -k / deselection: a workload test the user filtered out on purpose is not "selected nothing".
    params = getattr(getattr(item, "callspec", None), "params", {})
    if "workload" in params:
        item.config.stash[WORKLOAD_SEEN] = True
    cell = params.get("parity_cell")
    if cell is not None:  # also before -k: a flavour the user filtered out is no gap
        item.config.stash.setdefault(FLAVOURS_COLLECTED, {}).setdefault(cell.backend, set()).add(cell.flavour)


def _flavour_gaps(config) -> None:
    """A flavour a saver offers but that got no cell is an error the run reports, never a silent gap; a flavour
    its factory cannot give is said too, with why (doc["run"]: flavour_gaps, flavours_left_out)."""
    ps = get_session(config)
    collected = config.stash.get(FLAVOURS_COLLECTED, {})
    gaps, left_out = [], {}
    for backend in ps.backends:
        if backend.name not in collected:
            continue  # no matrix test of it was collected (e.g. bench only): nothing was meant to run
        for flavour in backend.flavours():
            if flavour not in collected[backend.name]:
                gaps.append(f"{backend.name} offers the {flavour} API but no {flavour} cell was made for it")
        if backend.absent:
            left_out[backend.name] = dict(backend.absent)
    if gaps:
        ps.doc["run"]["flavour_gaps"] = gaps
    if left_out:
        ps.doc["run"]["flavours_left_out"] = left_out


def pytest_collection_finish(session) -> None:
    """--parity-workload that selected nothing: the workload test was not collected (a team's own repository, or
    -k left it out); running the rest and exiting 0 would read as "the workload passed"."""
    ps = session.config.stash.get(SESSION_KEY, None)
    if ps is None or not ps.options.workloads or session.config.stash.get(WORKLOAD_SEEN, False):
        return
    raise pytest.UsageError(
        f"parity: --parity-workload {', '.join(ps.options.workloads)} selected no test: the suite's workload test "
        "was not collected here (fix: run `parity check --workload " + ps.options.workloads[0] + "`, which runs it "
        "on every backend; or drop --parity-workload)")


def pytest_report_header(config) -> list[str] | None:
    """The seed (to replay a generated input) and a URL variable that looks like configuration but is not used.

    One hook: a second definition in this module would silently replace the first (the seed line never printed)."""
    ps = config.stash.get(SESSION_KEY, None)
    if ps is None:
        return None
    lines = [f"checkpoint-parity: seed {ps.seed} (replay with --parity-seed {ps.seed})"]
    unused = None if ps.worker else ps.server_config.unused_env()
    return lines + ([unused] if unused else [])


def pytest_unconfigure(config) -> None:
    ps = config.stash.get(SESSION_KEY, None)
    if ps is not None:
        ps.close()


def get_session(config) -> ParitySession:
    return config.stash[SESSION_KEY]


@dataclass
class CellParam:
    backend: str
    flavour: str

    def __str__(self) -> str:
        from parity.cell_ids import matrix_id

        return matrix_id(self.backend, self.flavour)  # pytest-asyncio appends the loop of an async cell


@pytest.hookimpl(wrapper=True)
def pytest_generate_tests(metafunc):
    # A wrapper runs before pytest-asyncio's tryfirst impl, so ids read backend-flavour-loop.
    if "parity_cell" in metafunc.fixturenames:
        ps = get_session(metafunc.config)
        marker = metafunc.definition.get_closest_marker("parity_flavours")
        wanted = set(marker.args) if marker else {"sync", "async"}
        params = [CellParam(b.name, f) for b in ps.backends for f in b.flavours() if f in wanted]
        metafunc.parametrize("parity_cell", params, ids=str, indirect=True)
    result = yield
    if "parity_cell" in metafunc.fixturenames:
        _sync_cells_without_loop(metafunc)
    return result


def _sync_cells_without_loop(metafunc) -> None:
    """Sync cells run no event loop (parity.no_loop): one item each, its id without a loop (`test_x[redis-sync]`).

    pytest-asyncio (and compat/test_generated.py) parametrized every cell with every loop. A sync cell keeps the
    default loop's parameter only: pytest-asyncio sets up a runner from it beside the test, which the cell never
    uses. Its id loses the loop's name. (`metafunc._calls` and `_idlist` are pytest's own: tests/test_matrix_ids.py
    checks the ids this makes.)
    """
    ps = get_session(metafunc.config)
    factories = _loop_factories(ps)
    default = factories.get(ps.default_loop())
    names = {f: name for name, f in factories.items()}
    kept = []
    for spec in metafunc._calls:
        param, factory = spec.params.get("parity_cell"), spec.params.get(LOOP_PARAM)
        if getattr(param, "flavour", None) != "sync" or factory is None:
            kept.append(spec)
        elif factory is default:
            ids = list(spec._idlist)
            if names.get(factory) in ids:
                del ids[len(ids) - 1 - ids[::-1].index(names[factory])]
            kept.append(dataclasses.replace(spec, _idlist=ids))
    metafunc._calls[:] = kept


MATRIX_FIXTURES = ("parity_cell", "parity_target")  # the suite's cells and a team's tests (parity.fixtures)


@pytest.hookimpl
def pytest_asyncio_loop_factories(config, item):
    names = getattr(item, "fixturenames", ())
    if any(n in names for n in MATRIX_FIXTURES):
        return _loop_factories(get_session(config))
    if "parity_session" in names:  # the suite's other async tests: its default loop
        name = get_session(config).default_loop()
        return {name: _loop_factories(get_session(config))[name]}
    # Any other async test (a team's own, in their repository): exactly the loop pytest-asyncio makes without
    # this hook, from the event-loop policy in force; one factory adds no id.
    return {"asyncio": _policy_loop}


def _policy_loop():
    import asyncio

    return asyncio.get_event_loop_policy().new_event_loop()


def _loop_factories(ps: ParitySession) -> dict:
    """One factory object per loop for the whole run, so a test's loop is found by identity, not by its id."""
    if not hasattr(ps, "loop_factories"):
        ps.loop_factories = {lp.name: lp.factory or _no_loop(lp.reason) for lp in ps.loops}
    return ps.loop_factories


def _no_loop(reason: str):
    def factory():
        raise RuntimeError(f"not-applicable: {reason}")
    return factory


def loop_of(item) -> str | None:
    """The event loop a collected item runs under (None for items without the loop parameter, and sync cells)."""
    callspec = getattr(item, "callspec", None)
    factory = callspec.params.get(LOOP_PARAM) if callspec is not None else None
    if factory is None or getattr(callspec.params.get("parity_cell"), "flavour", None) == "sync":
        return None
    by_factory = {f: name for name, f in _loop_factories(get_session(item.config)).items()}
    return by_factory.get(factory)


@pytest.hookimpl(trylast=True)  # after every deselection (-k, --quick), so all shards plan the same items
def pytest_collection_modifyitems(session, config, items) -> None:
    _matrix_items(config, items)
    _flavour_gaps(config)
    ps = get_session(config)
    if ps.options.shard is not None:
        from parity import shard

        kept, dropped, record = shard.select(items, ps.options.shard, ps.options.shard_durations)
        ps.doc["run"]["shard"] = record
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept


def pytest_report_collectionfinish(config, start_path, items):
    ps = config.stash.get(SESSION_KEY, None)
    record = ps.doc["run"].get("shard") if ps is not None else None
    if record:
        from parity.shard import describe

        return describe(record)
    return None


def _matrix_items(config, items) -> None:
    ps = get_session(config)
    by_name = {lp.name: lp for lp in ps.loops}
    for item in items:
        reasons.apply_markers(item)
        params = getattr(getattr(item, "callspec", None), "params", {})
        param = params.get("parity_cell") or params.get("parity_target")
        if param is not None:
            _mark_not_applicable(item, ps, param, by_name.get(loop_of(item)))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A compat cell that runs past --parity-timeout (per run) fails as "timed out" and the matrix goes on.

    Our own SIGALRM timer (parity.cell_timer), not pytest-timeout's: that one's exception is swallowed by uvloop's
    callbacks, and its thread method ends the whole process, servers and report with it. No limit on Windows
    (no SIGALRM); the report's cells there carry no "timed out".
    """
    if getattr(getattr(item, "callspec", None), "params", {}).get("parity_cell") is None:
        return (yield)  # a team's own tests (parity.fixtures) keep their own time limits
    ps = get_session(item.config)
    seconds = ps.options.cell_timeout_s * ps.options.repeat
    if not seconds:
        return (yield)
    timer = CellTimer(seconds)
    item.stash[TIMER_KEY] = timer
    timer.start()
    try:
        result = yield
    finally:
        timer.stop()
    if timer.fired:  # it did end, but only after its limit: still a hang, never a pass
        raise CellTimeout(timer.message())
    return result


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """A sync compat cell runs as a sync app: its test body, an `async def` shared with the async cells, is driven
    in a thread with no event loop (parity.no_loop), not on the loop pytest-asyncio set up beside it."""
    param = getattr(getattr(pyfuncitem, "callspec", None), "params", {}).get("parity_cell")
    if getattr(param, "flavour", None) != "sync":
        return None
    import inspect

    from parity import no_loop

    # pytest-asyncio swapped the item's function for a wrapper that runs it on its loop: the test's own is inside.
    test = inspect.unwrap(pyfuncitem.obj, stop=inspect.iscoroutinefunction)
    if not inspect.iscoroutinefunction(test):
        return None  # a plain function (compat/test_generated.py) runs in pytest's thread, which has no loop
    args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    no_loop.run(test, **args)
    return True


def _mark_not_applicable(item, ps: ParitySession, param: CellParam, loop) -> None:
    backend = ps.registry.get(param.backend)
    why = []
    if backend.unfit:  # the server found lacks what this saver needs (Backend.needs): said, not run
        why.append(reasons.Reason("server", backend.family, backend.unfit))
    if loop is not None and not loop.applicable:
        why.append(reasons.Reason("platform", loop.name, f"{loop.name}: {loop.reason}"))
    for marker in item.iter_markers("requires"):
        missing = backend.missing(*(Capability(c) for c in marker.args))
        if missing:
            why.append(_lacks(backend, missing))
    if why:
        reasons.mark(item, *why)


def _lacks(backend, missing) -> reasons.Reason:
    names = ", ".join(m.value for m in missing)
    return reasons.Reason("capability", names, f"{backend.name} lacks capability {names}")


@dataclass
class Cell:
    """One matrix cell of one test: what the scenario runs on, and what the report records about it."""

    session: ParitySession
    backend: Any
    flavour: str
    loop: str | None  # None for a sync cell: it runs no event loop
    scenario: str
    endpoint: Any = None
    repeat: int = 1
    runs: int = 0
    diverged_runs: int = 0
    finding: Any = None
    workload: str | None = None
    claims: list[str] = field(default_factory=lambda: ["C12"])
    variant: str | None = None  # the test's own parameters besides the cell's, e.g. "test_x[big]"

    def require(self, *caps: Capability) -> None:
        missing = self.backend.missing(*caps)
        if missing:
            raise reasons.NotApplicable(_lacks(self.backend, missing))

    async def check(self, scenario, **kw) -> None:
        from parity.judging.judge import check

        await check(self, scenario, **kw)


@pytest.fixture(scope="session")
def parity_session(request) -> ParitySession:
    install_sigterm()
    return get_session(request.config)


@pytest.fixture
def parity_cell(request, parity_session) -> Cell:
    param: CellParam = request.param
    backend = parity_session.registry.get(param.backend)
    loop = loop_of(request.node) or (None if param.flavour == "sync" else parity_session.default_loop())
    claim = request.node.get_closest_marker("parity_claim")
    cell = Cell(parity_session, backend, param.flavour, loop, request.node.originalname,
                repeat=parity_session.options.repeat, claims=list(claim.args) if claim else ["C12"])
    callspec = getattr(request.node, "callspec", None)
    own = {k: v for k, v in (callspec.params.items() if callspec else ()) if k not in ("parity_cell", LOOP_PARAM)}
    cell.variant = f"{cell.scenario}{sorted((k, repr(v)) for k, v in own.items())}" if own else None
    request.node.stash[CELL_KEY] = cell
    if backend.family:
        try:
            cell.endpoint = parity_session.endpoint(backend.family)
            _refuse_if_down(request.config, parity_session, backend.family)
        except Unavailable as exc:
            reasons.not_applicable("server", backend.family, str(exc))
        except ContainerStartError as exc:  # the session's own server did not start: stop the run, one line
            pytest.exit(exc.line(), returncode=pytest.ExitCode.USAGE_ERROR)
        except ParityUsageError as exc:
            pytest.fail(exc.line(), pytrace=False)
    return cell


def _refuse_if_down(config, ps: ParitySession, family: str) -> None:
    """A cell whose server is already dead or stalled is not run: a harness error naming the event (parity.spoiled)."""
    from parity.spoiled import NOT_RUN

    down = ps.watch.down(family)
    _announce(config, ps)
    if down is not None:
        pytest.fail(NOT_RUN + down.line() + ps.restarts.why_final(family), pytrace=False)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    """--restart-dead-servers: a cell spoiled by its server's death runs again once the server is restarted."""
    ps = item.config.stash.get(SESSION_KEY, None)
    param = getattr(getattr(item, "callspec", None), "params", {}).get("parity_cell")
    family = ps.family_of(param.backend) if ps is not None and param is not None else None
    if family is None or not ps.options.restart_dead_servers:
        return None  # pytest's own protocol
    from parity.rerun import protocol

    return protocol(item, nextitem, ps, family, lambda said: _announce(item.config, ps, said))


def _announce(config, ps: ParitySession, said: str | None = None) -> None:
    """Each server event once in the console, when a cell first meets it (the watch's thread never prints); `said`:
    one more line (a restart)."""
    import contextlib

    lines = [f"parity: {e.line()}; the cells it spoils are harness errors, not findings" for e in ps.watch.news()]
    lines += [f"parity: {said}"] if said else []
    tr = config.pluginmanager.get_plugin("terminalreporter")
    if not lines or tr is None:
        return
    capman = config.pluginmanager.get_plugin("capturemanager")  # inside a test: past pytest's output capture
    with capman.global_and_fixture_disabled() if capman is not None else contextlib.nullcontext():
        for line in lines:
            if getattr(getattr(tr, "_tw", None), "width_of_current_line", 0):  # after a line of progress dots
                tr.write("\n")
            tr.write_line(line, yellow=True)


SETUP_AT = pytest.StashKey[float]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "setup":
        item.stash[SETUP_AT] = report.start  # a cell's window starts with its setup (parity.spoiled)
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _record_cell(item, report, reasons.of(item, call))
    return report


def _record_cell(item, report, why: tuple = ()) -> None:
    param = getattr(getattr(item, "callspec", None), "params", {}).get("parity_cell")
    if param is None:
        _record_not_run(item, report, why)
        return
    ps = get_session(item.config)
    cell: Cell | None = item.stash.get(CELL_KEY, None)
    status, reason = _status(report, cell, item.stash.get(TIMER_KEY, None), why)
    loop = loop_of(item) or (None if param.flavour == "sync" else ps.default_loop())
    row = {"id": item.nodeid, "scenario": item.originalname, "module": item.module.__name__ if item.module else "",
           "backend": param.backend, "flavour": param.flavour, "loop": loop, "status": status, "reason": reason,
           "duration_s": round(report.duration, 4), "claims": cell.claims if cell else ["C12"],
           "runs": cell.runs if cell else 0, "diverged_runs": cell.diverged_runs if cell else 0,
           "workload": (cell.workload if cell else None) or _workload_param(item), "finding_ids": []}
    if status == "not-applicable":
        row["not_applicable"] = [r.to_dict() for r in why]
    if cell is not None and cell.finding is not None:
        row["finding_ids"] = [cell.finding.id]
        versions.record(cell.finding, cell.backend)
        ps.add("findings", {**cell.finding.to_dict(), "cell": item.nodeid})  # named as its cell (parity.cell_ids)
    ps.add("cells", row)
    ps.cell_ended(item.nodeid, param.backend, status, item.stash.get(SETUP_AT, report.start), report.stop)
    _announce(item.config, ps)


def _record_not_run(item, report, why: tuple) -> None:
    """A benchmark or fault study that did not run keeps its reason in the document (run.not_run_tests), as a cell
    does: the report says why, not only pytest's -rs lines."""
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    _, reason = _status(report, None, None, why)
    get_session(item.config).not_run.append(
        {"id": item.nodeid, "reason": reason, **({"not_applicable": [r.to_dict() for r in why]} if why else {})})


def _workload_param(item) -> str | None:
    # Cells skipped at collection never ran the test body that names the workload: read it from the param.
    workload = getattr(getattr(item, "callspec", None), "params", {}).get("workload")
    return getattr(workload, "name", None)


def _status(report, cell, timer=None, why: tuple = ()) -> tuple[str, str]:
    if timer is not None and timer.fired and not report.skipped:
        return "failed", timer.message()
    if report.passed:
        return "passed", ""
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if hasattr(report, "wasxfail"):
            return "known-divergence", report.wasxfail
        # The structured reasons' own line: pytest prefixes a raised NotApplicable with its class path
        # ("parity.reasons.NotApplicable: not-applicable: ..."), a plain skip with "Skipped: ".
        reason = reasons.line(why) if why else reason.removeprefix("Skipped: ")
        return ("not-applicable" if why else "skipped"), reason
    if cell is not None and cell.finding is not None:
        return "diverged", cell.finding.summary
    text = report.longreprtext.strip().splitlines()
    last = (text[-1] if text else "")[:300]
    return ("failed" if report.when == "call" else "error"), last


def pytest_sessionfinish(session, exitstatus) -> None:
    interrupt.unwinding()
    if exitstatus == pytest.ExitCode.INTERRUPTED:
        session.config.option.tbstyle = "no"  # after Ctrl-C, no pages of failure tracebacks before we exit
    ps = session.config.stash.get(SESSION_KEY, None)
    if ps is None:
        return
    if exitstatus == pytest.ExitCode.INTERRUPTED or interrupt.requested():
        ps.doc["run"]["interrupted"] = True  # the rows are what ran before Ctrl-C; the report says so first
    session.config.hook.pytest_parity_finish(session=ps)
    try:
        ps.finish(update=lambda doc: session.config.hook.pytest_parity_update_json(config=session.config, doc=doc))
    except ParityUsageError as exc:  # results.json invalid, or not written (a full disk): one line, exit 2, no document
        import sys

        print(f"\n{exc.line()}", file=sys.stderr)
        session.exitstatus = pytest.ExitCode.USAGE_ERROR
    _leave_out_unused_hypothesis(session.config)


def _leave_out_unused_hypothesis(config) -> None:
    """hypothesis's terminal summary imports all of hypothesis even when no test used it: 1.5-3 s at the end of a
    bench or faults run here (pytest assert-rewrites the package), also after a Ctrl-C, whose budget is 5 s. Never
    imported means nothing to report (no statistics, no failing example): leave its plugin out then."""
    import sys

    plugin = config.pluginmanager.get_plugin("hypothesispytest")
    if plugin is not None and "hypothesis" not in sys.modules:
        config.pluginmanager.unregister(plugin)


PARITY_SUITE_PLUGIN = True  # marks this module, and any copy or star-import of it, for the load-twice check


def pytest_addhooks(pluginmanager) -> None:
    from parity import hooks

    if hasattr(pluginmanager.hook, "pytest_parity_finish"):  # our specs are in: a second module holds our hooks
        raise pytest.UsageError(_loaded_twice(pluginmanager))
    pluginmanager.add_hookspecs(hooks)


def _loaded_twice(pluginmanager) -> str:
    """One line naming both copies (a conftest's `from parity.plugin import *`, a copy of this file, ...)."""
    names = [name for name, plugin in pluginmanager.list_name_plugin()
             if getattr(plugin, "PARITY_SUITE_PLUGIN", False) and name is not None]
    return (f"parity: the checkpoint-parity plugin is loaded twice ({', '.join(names) or 'two modules'}) "
            "(fix: keep one: installing checkpoint-parity loads parity.plugin already; remove the conftest's "
            "`from parity.plugin import *` or the copied plugin module)")
