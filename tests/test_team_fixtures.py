"""parity.fixtures in a team's own repository: their tests x backends x loops, isolation, same_as_reference, inertness."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest_plugins = ("pytester",)

HERE = Path(__file__).resolve().parent
INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"

GRAPH = '''
from typing import TypedDict
from langgraph.graph import END, START, StateGraph


class State(TypedDict):
    n: int
    log: list


def build(saver):
    g = StateGraph(State)
    g.add_node("inc", lambda s: {"n": s["n"] + 1, "log": s.get("log", []) + ["inc"]})
    g.add_node("dbl", lambda s: {"n": s["n"] * 2, "log": s["log"] + ["dbl"]})
    g.add_edge(START, "inc")
    g.add_edge("inc", "dbl")
    g.add_edge("dbl", END)
    return g.compile(checkpointer=saver)
'''

# A team's test file: nothing of checkpoint-parity imported, only its fixtures asked for by name.
TEAM_TESTS = '''
import asyncio, json, os
import pytest
from graph import build

LOG = os.environ["TEAM_LOG"]


def log(**row):
    with open(LOG, "a") as f:
        f.write(json.dumps(row) + "\\n")


def cfg(thread):
    return {"configurable": {"thread_id": thread}}


def test_plain():
    pass


@pytest.mark.requires("ttl")  # a capability, not a backend name: cells without it are not-applicable
def test_needs_ttl(checkpointer):
    pass


def test_writes_thread(checkpointer, parity_target):
    app = build(checkpointer)
    assert app.invoke({"n": 1}, cfg("shared"))["n"] == 4
    seen = len(list(checkpointer.list(cfg("shared"))))
    ep = parity_target.endpoint
    log(test="write", backend=parity_target.backend, scope=parity_target.scope, seen=seen,
        url=parity_target.url, pid=ep.pid if ep else None)


def test_reads_thread(checkpointer, parity_target):
    seen = len(list(checkpointer.list(cfg("shared"))))
    log(test="read", backend=parity_target.backend, scope=parity_target.scope, seen=seen, url=parity_target.url)


async def test_async_graph(async_checkpointer, parity_target):
    app = build(async_checkpointer)
    assert (await app.ainvoke({"n": 2}, cfg("t1")))["n"] == 6
    log(test="async", backend=parity_target.backend, loop=parity_target.loop,
        running=type(asyncio.get_running_loop()).__module__)


def test_same(same_as_reference):
    def scenario(saver, trace):
        app = build(saver)
        c = trace.config("t1")
        trace.add("run", app.invoke({"n": 1}, c))
        trace.add("state", app.get_state(c))
        trace.add("history", list(app.get_state_history(c)))
    same_as_reference(scenario)


async def test_same_async(same_as_reference):
    async def scenario(saver, trace):
        app = build(saver)
        c = trace.config("t1")
        trace.add("run", await app.ainvoke({"n": 1}, c))
        trace.add("history", [s async for s in app.aget_state_history(c)])
    await same_as_reference(scenario)
'''


def _team(pytester, tmp_path) -> Path:
    pytester.makeini(INI)
    pytester.makepyfile(graph=GRAPH, test_team=TEAM_TESTS)
    return tmp_path / "team-log.jsonl"


def _rows(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def _running(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_team_tests_run_per_backend_and_loop_isolated_on_one_server_per_family(pytester, tmp_path, monkeypatch):
    """Ids read test[backend-flavour(-loop)]; every test has its own scope on the session's one server per family;
    the async fixture runs on the loop its id names; servers are gone when pytest ends."""
    monkeypatch.setenv("TEAM_LOG", str(tmp_path / "team-log.jsonl"))
    log = _team(pytester, tmp_path)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-v", "-rs",
                                           "--parity-backend", "memory,redis,postgres", timeout=240)
    out = result.stdout.str()
    unavailable = [line for line in out.splitlines() if "SKIPPED" in line and "unavailable" in line.lower()]
    if unavailable:
        pytest.skip(f"not-applicable: a server family did not start here: {unavailable[0]}")
    for test_id in ("test_plain PASSED", "test_writes_thread[memory-sync] PASSED",
                    "test_writes_thread[redis-sync] PASSED", "test_reads_thread[postgres-sync] PASSED",
                    "test_async_graph[redis-async-selector] PASSED", "test_async_graph[postgres-async-uvloop] PASSED",
                    "test_same[postgres-sync] PASSED", "test_same_async[redis-async-uvloop] PASSED"):
        assert test_id in out, f"expected '{test_id}' in the team's run:\n{out[-4000:]}"
    assert "test_async_graph[redis-async-proactor] SKIPPED" in out and "not-applicable: proactor" in out
    assert "test_needs_ttl[redis-sync] PASSED" in out and "test_needs_ttl[postgres-sync] SKIPPED" in out
    assert "not-applicable: postgres lacks capability ttl" in out
    assert result.ret == 0, out[-4000:]
    rows = _rows(log)
    writes = {r["backend"]: r for r in rows if r["test"] == "write"}
    reads = {r["backend"]: r for r in rows if r["test"] == "read"}
    assert set(writes) == set(reads) == {"memory", "redis", "postgres"}, rows
    for backend in writes:
        assert writes[backend]["seen"] == 4, f"{backend}: the writing test should see its 4 checkpoints"
        assert reads[backend]["seen"] == 0, f"{backend}: a later test saw another test's thread: {reads[backend]}"
        assert writes[backend]["scope"] != reads[backend]["scope"]
    urls = {(r["backend"], r["url"]) for r in rows if r.get("url")}
    assert len({u for b, u in urls if b == "redis"}) == 1 and len({u for b, u in urls if b == "postgres"}) == 1, \
        f"expected one server per family for the whole session, got {sorted(urls)}"
    for r in rows:
        if r["test"] == "async":
            expected = "uvloop" if r["loop"] == "uvloop" else "asyncio"
            assert r["running"].startswith(expected), f"test id says {r['loop']}, ran on {r['running']}"
    pids = [r["pid"] for r in writes.values() if r.get("pid")]
    assert all(not _running(pid) for pid in pids), f"servers still running after the team's pytest: {pids}"


BROKEN_TESTS = '''
from graph import build


def test_same(same_as_reference):
    def scenario(saver, trace):
        app = build(saver)
        c = trace.config("t1")
        trace.add("run", app.invoke({"n": 1}, c))
        trace.add("state", app.get_state(c))
    same_as_reference(scenario)


async def test_same_async(same_as_reference):
    async def scenario(saver, trace):
        app = build(saver)
        c = trace.config("t1")
        await app.ainvoke({"n": 1}, c)
        trace.add("history", [s.values for s in [s async for s in app.aget_state_history(c)]])
    await same_as_reference(scenario)
'''


def test_same_as_reference_fails_on_a_broken_saver_with_a_readable_diff(pytester):
    """A saver that loses parent links fails the same-behaviour assertion, naming backend, what differs and
    how (reference vs this backend); the reference and a correct third-party saver pass the same tests."""
    pytester.makeini(INI)
    pytester.makepyfile(graph=GRAPH, test_team=BROKEN_TESTS)
    shutil.copy(HERE / "broken_savers.py", pytester.path / "broken_savers.py")
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-v", "--parity-loop", "selector",
        "--parity-saver", "broken=broken_savers:loses_parent_links",
        "--parity-saver", "order=broken_savers:wrong_list_order",
        "--parity-saver", "control=broken_savers:correct_memory",
        "--parity-backend", "memory,broken,order,control", timeout=120)
    out = result.stdout.str()
    # one loop selected: pytest-asyncio adds no loop id
    for test_id in ("test_same[memory-sync] PASSED", "test_same[control-sync] PASSED",
                    "test_same[broken-sync] FAILED", "test_same[order-sync] PASSED",
                    "test_same_async[control-async] PASSED", "test_same_async[order-async] FAILED"):
        assert test_id in out, f"expected '{test_id}':\n{out[-4000:]}"
    assert "the graph behaves differently on broken (sync) than on the in-memory reference" in out
    assert "first: state.parent_config" in out and "(- in-memory reference, + this backend)" in out
    assert '+ "parent_config": null' in out, out[-3000:]
    assert "the graph behaves differently on order (async, selector)" in out
    assert "parity/fixtures.py" not in out, "the failure should be the diff, not the plugin's traceback"


STAMPED = '''
import uuid
from graph import build


def test_same(same_as_reference):
    def scenario(saver, trace):
        out = build(saver).invoke({"n": 1}, trace.config("t1"))
        trace.add("run", {**out, "ref": uuid.uuid4().hex})
    same_as_reference(scenario)


def test_same_ignored(same_as_reference):
    def scenario(saver, trace):
        out = build(saver).invoke({"n": 1}, trace.config("t1"))
        trace.add("run", {**out, "ref": uuid.uuid4().hex})
    same_as_reference(scenario, ignore=["ref"])
'''


def test_a_team_scenario_that_stores_a_uuid_is_non_deterministic_with_the_exact_ignore_to_add(pytester):
    """Issue 14 item 4 for a team's same_as_reference: the memory cell is a second run on the reference, so a
    difference there is the graph's, said with the ignore= that fixes it (which then passes)."""
    pytester.makeini(INI)
    pytester.makepyfile(graph=GRAPH, test_team=STAMPED)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", "--parity-backend", "memory",
                                           "--parity-loop", "selector", timeout=120)
    out = result.stdout.str()
    result.assert_outcomes(passed=1, failed=1)
    assert "non-deterministic in your graph: 1 path(s) differ between two runs on the in-memory reference" in out, out
    assert 'same_as_reference(scenario, ignore=["ref"])' in out, out[-3000:]


UNRELATED = '''
import asyncio, signal


async def test_policy_loop():
    assert "uvloop" in type(asyncio.get_running_loop()).__module__


def test_own_checkpointer(checkpointer):
    assert checkpointer == "theirs"


def test_sigterm_untouched():
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
'''

OWN_CONFTEST = '''
import asyncio, uvloop, pytest
asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
{plugins}


def pytest_addoption(parser):  # a Redis team's own options, with the names the parity CLI uses
    parser.addoption("--redis-url", default="redis://localhost:6379/0")
    parser.addoption("--repeat", type=int, default=1)
    parser.addoption("--profile", dest="profile", default=None)

@pytest.fixture
def checkpointer():
    return "theirs"
'''


# "installed" (entry point only) is the first half of "-p twice": the entry point loads, then -p again.
@pytest.mark.parametrize("how", ["conftest-line", "-p twice", "autoload-off"])
def test_a_teams_other_tests_are_untouched_however_the_plugin_loads(pytester, how):
    """Their event-loop policy, their own options and `checkpointer` fixture and their SIGTERM stay theirs; loading the
    plugin again (-p, pytest_plugins) or only explicitly (autoload off) changes nothing and does not fail."""
    plugins = 'pytest_plugins = ["parity.fixtures", "parity.plugin"]' if how in ("conftest-line", "autoload-off") else ""
    pytester.makeini(INI + "asyncio_mode = auto\n")
    pytester.makeconftest(OWN_CONFTEST.format(plugins=plugins))
    pytester.makepyfile(test_unrelated=UNRELATED)
    args = ["-p", "no:cacheprovider", "-v"]
    if how == "-p twice":
        args += ["-p", "parity.plugin", "-p", "parity.fixtures"]
    if how == "autoload-off":
        pytester._monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
        args += ["-p", "asyncio"]
    result = pytester.runpytest_subprocess(*args, timeout=60)
    out = result.stdout.str()
    assert result.ret == 0, out[-3000:] + result.stderr.str()[-2000:]
    assert "test_own_checkpointer PASSED" in out and "test_policy_loop PASSED" in out, out[-2000:]
    assert "[memory" not in out, "a test using its own `checkpointer` fixture was parametrized by the plugin"


MISUSED = '''
from graph import build


async def test_forgets_await(same_as_reference):
    async def scenario(saver, trace):
        trace.add("run", await build(saver).ainvoke({"n": 1}, trace.config("t1")))
    same_as_reference(scenario)


def test_async_scenario_in_sync_test(same_as_reference):
    async def scenario(saver, trace):
        pass
    same_as_reference(scenario)


def test_records_nothing(same_as_reference):
    same_as_reference(lambda saver, trace: build(saver).invoke({"n": 1}, trace.config("t1")))
'''


def test_a_misused_same_as_reference_fails_instead_of_passing_on_nothing(pytester):
    """A forgotten await, a scenario of the wrong kind or one that records nothing compares nothing: each fails
    with its fix, never passes; asking for both savers is a one-line collection error."""
    pytester.makeini(INI)
    pytester.makepyfile(graph=GRAPH, test_team=MISUSED,
                        test_both="def test_both(checkpointer, async_checkpointer):\n    pass\n",
                        test_sync_async="def test_sync(async_checkpointer):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", "--parity-backend", "memory",
                                           "--parity-loop", "selector", "--continue-on-collection-errors", timeout=120)
    out = result.stdout.str()
    # the forgotten await passes its call and errors at teardown; test_both/test_sync_async: collection errors
    result.assert_outcomes(passed=1, errors=3, failed=2)
    assert "test_both asks for both checkpointer and async_checkpointer (fix: one saver per test" in out
    assert "test_sync asks for async_checkpointer but is not async (fix:" in out
    assert "was never awaited, so nothing was compared" in out
    assert "got an async scenario in a sync test" in out
    assert "the scenario recorded nothing" in out


def test_a_teams_own_bench_folder_may_run_under_xdist(tmp_path):
    """The suite refuses `-n` for its own bench/ and faults/; a team's folders of those names are theirs."""
    from types import SimpleNamespace

    from parity.layout import suite
    from parity.plugin import _refuse_xdist_for_whole_parts

    (tmp_path / "bench").mkdir()

    def config(path):
        return SimpleNamespace(option=SimpleNamespace(numprocesses=2, dist="load"), args=[str(path)],
                               rootpath=tmp_path, invocation_params=SimpleNamespace(dir=tmp_path))
    _refuse_xdist_for_whole_parts(config(tmp_path / "bench"))  # the team's: allowed
    with pytest.raises(pytest.UsageError, match="bench/ must run in one process"):
        _refuse_xdist_for_whole_parts(config(suite().root / "bench"))

