"""Fixtures for a team's own tests: `checkpointer` / `async_checkpointer` on every backend, and `same_as_reference`."""

# Loaded with the suite's plugin (it lists this module in its `pytest_plugins`), so installing checkpoint-parity is
# enough; `-p parity.fixtures` or `pytest_plugins = ["parity.fixtures"]` also work (a second load is a no-op, and
# they load the suite plugin when entry-point autoloading is off). Inert until a test asks for one of the fixtures:
# only such tests are parametrized, other tests of the repository see nothing of it. Usage: docs/fixtures.md, "In your
# own tests".

from __future__ import annotations

import inspect
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest
import pytest_asyncio

from parity.backends.backend import Backend, SaverContext
from parity.errors import ParityUsageError
from parity.servers.pool import Unavailable
from parity.judging.differences import hunks, piece_summary, real_first
from parity.judging.trace import Trace, diff, nondeterministic_paths
from parity.workloads.runner import ignore_paths
from parity.reasons import not_applicable
from parity.backends.builtin import REFERENCE


TARGET = "parity_target"  # the parametrized fixture every fixture of this module rests on


def default_backends() -> tuple[str, ...]:
    """The backends a team's tests run on unless --parity-backend names others: the reference and each server
    family's main saver (Family.default_backend), plus every saver the team registered (--parity-saver, entry
    points). A family's other savers (shallow ones) and sqlite keep less history by design; ask for them by name."""
    from parity import families

    return (REFERENCE, *(families.get(name).default_backend for name in families.names()))


def pytest_addhooks(pluginmanager) -> None:
    """Options, servers and the event-loop matrix live in the suite's plugin: load it when only this module was
    asked for (e.g. entry-point autoloading off). Checked by identity, not by name: an install whose entry point
    has another name has it registered under that name (and `pytest_plugins` would register it twice)."""
    from parity import plugin

    if not pluginmanager.is_registered(plugin):
        pluginmanager.register(plugin, "parity.plugin")


def team_backends(session) -> list[Backend]:
    if session.options.backends:
        return list(session.backends)
    defaults = default_backends()
    return [b for b in session.backends if b.name in defaults or not (b.origin == "built-in" or b.origin.startswith("family "))]


def _flavour(metafunc) -> str:
    names = metafunc.fixturenames
    if "checkpointer" in names and "async_checkpointer" in names:
        raise pytest.Collector.CollectError(  # shown as this file's collection error, in one line, no traceback
            f"parity: {metafunc.definition.nodeid} asks for both checkpointer and async_checkpointer "
            "(fix: one saver per test; write a sync and an async test)")
    if "async_checkpointer" in names:
        if not inspect.iscoroutinefunction(metafunc.function):  # its saver is bound to a loop the test never runs
            raise pytest.Collector.CollectError(
                f"parity: {metafunc.definition.nodeid} asks for async_checkpointer but is not async "
                "(fix: `async def` the test, or ask for checkpointer)")
        return "async"
    if "checkpointer" in names:
        return "sync"
    return "async" if inspect.iscoroutinefunction(metafunc.function) else "sync"


@pytest.hookimpl(wrapper=True)
def pytest_generate_tests(metafunc):
    # A wrapper, like the suite's: it runs before pytest-asyncio's, so ids read backend-flavour-loop.
    # TARGET is in the closure only when one of our fixtures is really used (a team's own fixture of the same
    # name overrides ours and leaves their test alone).
    if TARGET in metafunc.fixturenames:
        from parity.plugin import CellParam, get_session

        flavour = _flavour(metafunc)
        params = [CellParam(b.name, flavour) for b in team_backends(get_session(metafunc.config))
                  if flavour in b.flavours()]
        metafunc.parametrize(TARGET, params, ids=str, indirect=True)
        if inspect.iscoroutinefunction(metafunc.function) and not metafunc.definition.get_closest_marker("asyncio"):
            # asyncio's strict mode runs only marked coroutines; asking for our fixture is asking for asyncio.
            # Marked on the definition (for pytest-asyncio's loop parametrization, next) and on the function (the
            # items made from it).
            metafunc.definition.add_marker(pytest.mark.asyncio)
            pytest.mark.asyncio(metafunc.function)
    return (yield)


@dataclass
class Target:
    """Where this test runs: backend, flavour, event loop, server URL (None without a server), its own scope."""

    backend: str
    flavour: str
    loop: str | None
    url: str | None
    scope: str  # the Redis key prefix / Postgres schema of this test; removed when its saver closes
    capabilities: frozenset[str]
    endpoint: Any = field(repr=False)  # parity.servers.endpoint.Endpoint (url, pid, settings...) or None
    _backend: Backend = field(repr=False)
    _session: Any = field(repr=False)

    def saver(self, flavour: str | None = None, scope: str | None = None):
        """A (async) context manager of a saver of this backend, in `scope` (default: the test's scope)."""
        ctx = SaverContext(self.endpoint, scope or self.scope)
        return self._backend.saver(flavour or self.flavour, ctx)


@pytest.fixture
def parity_target(request) -> Target:
    """The backend/flavour/loop cell of this test (parametrized by the plugin)."""
    from parity.plugin import CellParam, get_session, install_sigterm, loop_of  # here: see pytest_addhooks
    session = get_session(request.config)
    install_sigterm()  # servers may start now: SIGTERM must unwind the fixtures that stop them
    param = getattr(request, "param", None)
    if not isinstance(param, CellParam):  # asked for at run time, after the matrix was made
        pytest.fail("parity: checkpointer/async_checkpointer/same_as_reference must be arguments of the test or of "
                    "its fixtures, not request.getfixturevalue(), so each backend becomes its own test "
                    "(fix: add it to the test's arguments)", pytrace=False)
    backend = session.registry.get(param.backend)
    endpoint = None
    if backend.family:
        try:
            endpoint = session.endpoint(backend.family)
        except Unavailable as exc:
            not_applicable("server", backend.family, str(exc))
        except ParityUsageError as exc:
            pytest.fail(exc.line(), pytrace=False)
        if backend.unfit:  # the server found lacks what this saver needs (Backend.needs)
            not_applicable("server", backend.family, backend.unfit)
    loop = loop_of(request.node)
    return Target(backend.name, param.flavour, loop, endpoint.url if endpoint else None, session.new_scope(),
                  frozenset(c.value for c in backend.capabilities), endpoint, backend, session)


@pytest.fixture
def checkpointer(parity_target: Target):
    """A sync checkpointer of this test's backend in the test's own scope, emptied when the test ends."""
    with parity_target.saver("sync") as saver:
        yield saver


@pytest_asyncio.fixture
async def async_checkpointer(parity_target: Target):
    """An async checkpointer of this test's backend in the test's own scope, on the test's event loop."""
    async with parity_target.saver("async") as saver:
        yield saver


class Recorder:
    """What a scenario gets besides the saver: add(label, value) records an observation; thread ids per run."""

    def __init__(self, scope: str, ignore: tuple[str, ...]) -> None:
        self.scope = scope
        self.ignore = tuple(ignore)
        self.trace = Trace()

    def add(self, label: str, value: Any) -> Any:
        """Record what the graph shows (a result, a state, a history...): ids and clocks are normalised."""
        self.trace.add(label, ignore_paths(value, self.ignore))
        return value

    __call__ = add

    def thread(self, name: str = "t1") -> str:
        """A thread id unique to this run (a saver that ignores its scope still cannot mix tests); the trace
        shows `name` again, so the runs compare."""
        stored = f"{name}__{self.scope}"
        self.trace.alias(stored, name)
        return stored

    def config(self, thread: str = "t1", **configurable: Any) -> dict[str, Any]:
        return {"configurable": {"thread_id": self.thread(thread), **configurable}}


Scenario = Callable[[Any, Recorder], Any]


class SameAsReference:
    """same_as_reference(scenario, ignore=()): run scenario(saver, trace) on a fresh in-memory saver and on a fresh
    saver of this test's backend; fail with the trace diff when what they recorded differs."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.pending: list[_Judgement] = []

    def __call__(self, scenario: Scenario, *, ignore: tuple[str, ...] | list[str] = ()):
        kind = "async" if inspect.iscoroutinefunction(scenario) else "sync"
        if kind != self.target.flavour:  # the cell's id and savers are of the test's flavour: the scenario too
            article = {"sync": "a sync", "async": "an async"}
            pytest.fail(f"same_as_reference got {article[kind]} scenario in {article[self.target.flavour]} test (fix: "
                        + ("write `async def scenario(saver, trace)` and `await same_as_reference(scenario)`"
                           if kind == "sync" else "make the test `async def` and await same_as_reference(...), or "
                           "write the scenario with the sync API") + ")", pytrace=False)
        if kind == "async":
            judgement = _Judgement(self._judge_async(scenario, tuple(ignore)))
            self.pending.append(judgement)
            return judgement
        reference, reference_error = self._run_sync(self._reference(), scenario, ignore)
        actual, actual_error = self._run_sync(self.target, scenario, ignore)
        self._judge(reference, reference_error, actual, actual_error)
        return None

    async def _judge_async(self, scenario: Scenario, ignore: tuple[str, ...]) -> None:
        reference, reference_error = await self._run_async(self._reference(), scenario, ignore)
        actual, actual_error = await self._run_async(self.target, scenario, ignore)
        self._judge(reference, reference_error, actual, actual_error)

    def _reference(self) -> Target:
        session = self.target._session
        backend = session.registry.get(REFERENCE)
        return Target(REFERENCE, self.target.flavour, self.target.loop, None, "", frozenset(), None, backend, session)

    def _run_sync(self, target: Target, scenario: Scenario, ignore) -> tuple[Recorder, BaseException | None]:
        rec = Recorder(target._session.new_scope(), tuple(ignore))
        error = None
        with target.saver("sync", rec.scope) as saver:
            try:
                scenario(saver, rec)
            except Exception as exc:  # part of the trace: the reference may raise the same
                error = _record_raised(rec, exc)
        return rec, error

    async def _run_async(self, target: Target, scenario: Scenario, ignore) -> tuple[Recorder, BaseException | None]:
        rec = Recorder(target._session.new_scope(), tuple(ignore))
        error = None
        async with target.saver("async", rec.scope) as saver:
            try:
                await scenario(saver, rec)
            except Exception as exc:
                error = _record_raised(rec, exc)
        return rec, error

    def _judge(self, reference: Recorder, reference_error: BaseException | None, actual: Recorder,
               actual_error: BaseException | None) -> None:
        if reference_error is not None:  # the scenario's own bug: show it as the test's error, with its traceback
            raise reference_error
        if not reference.trace.entries:
            pytest.fail("same_as_reference: the scenario recorded nothing, so nothing was compared "
                        "(fix: call trace.add(label, value) with what the graph returns)", pytrace=False)
        if diff(reference.trace, actual.trace) is None:
            return
        t = self.target
        if t.backend == REFERENCE and actual_error is None:  # the memory cell is a second run on the reference itself
            paths = nondeterministic_paths(reference.trace, actual.trace)
            shown = ", ".join(f'"{p}"' for p in paths[:8])
            pytest.fail(f"non-deterministic in your graph: {len(paths)} path(s) differ between two runs on the "
                        f"in-memory reference itself, e.g. {paths[0]} (fix: same_as_reference(scenario, "
                        f"ignore=[{shown}]))", pytrace=False)
        real, echoes = real_first(hunks(reference.trace, actual.trace))
        where = f"{t.backend} ({t.flavour}{', ' + t.loop if t.loop else ''})"
        raised = [] if actual_error is None else [f"{t.backend} raised:"] + "".join(
            traceback.format_exception(actual_error, limit=-3)).rstrip().splitlines()[-RAISED_LINES:]
        shown = real or echoes  # only renumberings left: those are the difference then
        renumbered = f" and {len(echoes)} only in ids" if real and echoes else ""
        head = (f"the graph behaves differently on {where} than on the in-memory reference: {len(shown)} "
                f"difference(s){renumbered}, first: {piece_summary(shown[0]) if shown else '?'}")
        body = _shown(shown, MESSAGE_LINES - 2 - len(raised), len(echoes) if real else 0)
        pytest.fail("\n".join([head, *body, *raised]), pytrace=False)


MESSAGE_LINES = 39  # the whole assertion message fits a screen (issue 27: the real difference on the first one)
RAISED_LINES = 12  # the end of the backend's traceback, when it raised


def _shown(pieces: list[str], max_lines: int, echoes: int = 0) -> list[str]:
    """The differences one by one ("-" reference, "+" this backend), ids renumbered so one lost object does not
    shift every later id, those only in ids after the others; cut with a count of what was left out."""
    lines = [line for piece in pieces for line in piece.splitlines()]
    budget = max_lines - 1 if len(lines) > max_lines or echoes else max_lines  # a line kept for the note
    cut = lines[:budget]
    left = [f"{len(lines) - budget} more lines"] if len(lines) > budget else []
    left += [f"{echoes} difference(s) only in ids not shown: renumbered after an object more or less, or a link "
             "to another checkpoint"] if echoes else []
    return ["(- in-memory reference, + this backend)", *cut] + ([f"... ({'; '.join(left)})"] if left else [])


class _Judgement:
    """The awaitable an async scenario gets; the fixture fails the test if it was never awaited (nothing compared)."""

    def __init__(self, coro) -> None:
        self.coro = coro
        self.awaited = False

    def __await__(self):
        self.awaited = True
        return self.coro.__await__()

    def close(self) -> None:
        self.coro.close()


def _record_raised(rec: Recorder, exc: Exception) -> Exception:
    rec.trace.add("raised", {"type": type(exc).__name__, "message": str(exc)[:300]})
    return exc


@pytest.fixture
def same_as_reference(parity_target: Target):
    """Assert that a scenario behaves on this test's backend as on the in-memory reference (see SameAsReference)."""
    judge = SameAsReference(parity_target)
    yield judge
    forgotten = [j for j in judge.pending if not j.awaited]
    for j in forgotten:
        j.close()
    if forgotten:  # a test that passes because nothing ran would be a test that cannot fail
        pytest.fail("same_as_reference(async scenario) was never awaited, so nothing was compared "
                    "(fix: await same_as_reference(scenario))", pytrace=False)

