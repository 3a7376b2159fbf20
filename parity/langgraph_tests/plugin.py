"""The pytest plugin loaded into LangGraph's own test run (`-p parity.langgraph_tests.plugin`, in the tests' venv).

It replaces the parameters of LangGraph's `sync_checkpointer` / `async_checkpointer` fixtures with InMemorySaver
(LangGraph's own immutability-asserting one) plus the chosen savers, opened by the suite's opener, in memory only:
the module object of tests/conftest.py is changed when pytest registers it, before pytest reads its fixtures, and no
file of LangGraph's is touched. Items that take neither fixture are deselected. Every item's outcome goes to a JSON
lines file the parent command reads; a line per finished test file is the progress.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from parity.roles import REFERENCE as MEMORY
from parity.langgraph_tests import savers
from parity.langgraph_tests.failure import describe
from parity.langgraph_tests.sdist import FIXTURES

CONFIG_ENV = "PARITY_LANGGRAPH_TESTS"  # path of the run's JSON config, written by the parent command
SAVER_KEY = pytest.StashKey[Any]()


def _config() -> dict[str, Any]:
    return json.loads(Path(os.environ[CONFIG_ENV]).read_text())


class Run:
    """This pytest run's savers and outcome file."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        self.cfg = cfg
        self.opener = savers.Opener(cfg["savers"], cfg["backends"], cfg["urls"])
        self.out = open(cfg["outcomes"], "a", buffering=1)
        self.scopes = itertools.count(1)
        self.records: dict[str, dict[str, Any]] = {}
        self.replaced: list[str] = []
        self.file_counts: dict[str, dict[str, int]] = {}
        self.remaining: dict[str, int] = {}

    def params(self, flavour: str) -> list[str]:
        return [MEMORY] + self.opener.names(flavour)

    def scope(self) -> str:
        return f"lgt_{self.cfg['tag']}_{self.cfg['run']}_{next(self.scopes)}"


# Made when pytest imports this plugin (-p), before it loads LangGraph's conftest.py (initial conftests are loaded
# before pytest_configure); None when imported without the parent command's config (the suite's own tests).
RUN: Run | None = Run(_config()) if os.environ.get(CONFIG_ENV) else None


def pytest_unconfigure(config: pytest.Config) -> None:
    if RUN is not None:
        RUN.out.close()


@pytest.hookimpl(tryfirst=True)
def pytest_plugin_registered(plugin: Any, plugin_name: str) -> None:
    """LangGraph's tests/conftest.py: its two checkpointer fixtures swapped for ours before pytest parses them
    (pytest defers a conftest's fixtures until its folder is collected)."""
    if RUN is None or getattr(plugin, "__name__", "") != "tests.conftest":
        return
    _point_fixed_servers(RUN.cfg["urls"])
    memory = getattr(plugin, "_checkpointer_memory", None)
    for name in FIXTURES:
        if hasattr(plugin, name) and memory is not None:
            setattr(plugin, name, _fixture(RUN, name, memory))
            RUN.replaced.append(name)


def _point_fixed_servers(urls: dict[str, str]) -> None:
    """LangGraph's own server fixtures (fixed ports) pointed at the suite's servers: each family knows its own
    (Family.point_langgraph_tests)."""
    from parity import families

    for name in families.names():
        if urls.get(name):
            families.get(name).point_langgraph_tests(urls[name])


def _fixture(run: Run, name: str, memory):
    flavour = "async" if name.startswith("async") else "sync"
    names = run.params(flavour)

    if flavour == "sync":
        def checkpointer(request: pytest.FixtureRequest):
            with (memory() if request.param == MEMORY else run.opener.open(request.param, "sync", run.scope())) as s:
                request.node.stash[SAVER_KEY] = s
                yield s
    else:
        async def checkpointer(request: pytest.FixtureRequest):
            if request.param == MEMORY:
                with memory() as s:
                    request.node.stash[SAVER_KEY] = s
                    yield s
                return
            async with run.opener.open(request.param, "async", run.scope()) as s:
                request.node.stash[SAVER_KEY] = s
                yield s

    return pytest.fixture(params=names, ids=[savers.param_id(n) for n in names], name=name)(checkpointer)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Only items that take a checkpointer; the fixtures must have been replaced, or nothing here is ours."""
    if RUN is None:
        return
    missing = [n for n in FIXTURES if n not in RUN.replaced]
    if len(missing) == len(FIXTURES):
        raise pytest.UsageError("langgraph-tests: tests/conftest.py has neither sync_checkpointer nor "
                                "async_checkpointer as the suite expects; this langgraph version's tests changed")
    keep = [i for i in items if _saver_of(i) is not None]
    _keys(keep)
    config.hook.pytest_deselected(items=[i for i in items if _saver_of(i) is None])
    items[:] = keep


def pytest_collection_finish(session: pytest.Session) -> None:
    """Items per file, counted once every selection (ours, -k) is done: a file's progress line comes after its last."""
    if RUN is None:
        return
    for i in session.items:
        RUN.remaining[i.location[0]] = RUN.remaining.get(i.location[0], 0) + 1


KEY = pytest.StashKey[str]()


def _keys(items: list[pytest.Item]) -> None:
    """Each item's test key (its id with the saver's entry replaced by "@"). The saver's entry is the one equal to
    its id; when two entries are (InMemorySaver's "memory" beside LangGraph's cache fixture's "memory"), its position
    is the one another saver's unambiguous item of the same test has."""
    positions: dict[str, int] = {}
    for item in items:
        ids = list(getattr(item.callspec, "_idlist", []) or item.callspec.id.split("-"))
        hits = [k for k, part in enumerate(ids) if part == savers.param_id(_saver_of(item))]
        if len(hits) == 1:
            positions.setdefault(item.nodeid.split("[", 1)[0], hits[0])
    for item in items:
        ids = list(getattr(item.callspec, "_idlist", []) or item.callspec.id.split("-"))
        hits = [k for k, part in enumerate(ids) if part == savers.param_id(_saver_of(item))]
        where = hits[0] if len(hits) == 1 else positions.get(item.nodeid.split("[", 1)[0], hits[0] if hits else -1)
        item.stash[KEY] = savers.test_key(item.nodeid, ids, where)


def _saver_of(item: pytest.Item) -> str | None:
    spec = getattr(item, "callspec", None)
    if spec is None:
        return None
    for name in FIXTURES:
        if name in spec.params:
            return spec.params[name]
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if RUN is not None and call.when == "setup":
        RUN.records.setdefault(item.nodeid, {}).update(test=item.stash.get(KEY, None), saver=_saver_of(item))
    if RUN is not None and report.failed and call.excinfo is not None:
        rec = RUN.records.setdefault(item.nodeid, {})
        rec.setdefault("failure", {**describe(call.excinfo, item.stash.get(SAVER_KEY, None),
                                              Path(str(item.config.rootpath))), "phase": call.when})
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if RUN is None:
        return
    rec = RUN.records.setdefault(report.nodeid, {})
    if report.failed:
        rec["outcome"] = "failed" if report.when == "call" else "error"
    elif report.skipped and "outcome" not in rec:
        rec["outcome"] = "skipped"
        rec["reason"] = str(report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr)[:300]
    elif report.when == "call" and report.passed and "outcome" not in rec:
        rec["outcome"] = "passed"
    if report.when == "call":
        rec["seconds"] = round(report.duration, 4)


@pytest.hookimpl(trylast=True)
def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    if RUN is None:
        return
    rec = RUN.records.pop(nodeid, {})
    line = {"nodeid": nodeid, "test": rec.get("test"), "saver": rec.get("saver"), "file": location[0],
            "run": RUN.cfg["run"], "outcome": rec.get("outcome", "error"),
            **{k: rec[k] for k in ("reason", "failure", "seconds") if k in rec}}
    RUN.out.write(json.dumps(line, default=str) + "\n")
    counts = RUN.file_counts.setdefault(location[0], {})
    counts[line["outcome"]] = counts.get(line["outcome"], 0) + 1
    RUN.remaining[location[0]] = RUN.remaining.get(location[0], 1) - 1
    if RUN.remaining[location[0]] == 0:
        said = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
        sys.__stdout__.write(f"\nlanggraph-tests: run {RUN.cfg['run']}: {location[0]}: {said}\n")
        sys.__stdout__.flush()
