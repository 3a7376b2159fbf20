"""Findings name their root cause: the first saver call that raised where the reference's did not (a put that
raises on every call; a method LangGraph calls from deeper inside a graph) is one cause, named after that call."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PUT = "put raises ConnectionError: write refused: the store is read-only"
SYNC_LIST = "not implemented: sync list from a worker thread: a user loses the sync API of an async saver"

# A sync node that re-enters a stateful subgraph and reads its history, under graph.ainvoke: LangGraph runs the
# node in a worker thread and reads the history with the saver's sync list there.
REENTER = '''
from typing import TypedDict

import pytest
from langgraph.config import get_config
from langgraph.graph import END, START, StateGraph

pytestmark = pytest.mark.asyncio


class S(TypedDict, total=False):
    n: int


def _graph():
    sub = StateGraph(S)
    sub.add_node("inc", lambda s: {"n": s.get("n", 0) + 1})
    sub.add_edge(START, "inc")
    sub.add_edge("inc", END)
    child = sub.compile(checkpointer=True)

    def outer(state):
        out = child.invoke({"n": state.get("n", 0)})
        return {"n": out["n"] + len(list(child.get_state_history(get_config())))}
    g = StateGraph(S)
    g.add_node("outer", outer)
    g.add_edge(START, "outer")
    g.add_edge("outer", END)
    return g


async def reenter(g):
    app = g.compile(_graph())
    g.trace.add("result", await g.invoke(app, {"n": 1}, g.config()))


@pytest.mark.parity_flavours("async")
async def test_sync_node_reads_a_subgraph_history(parity_cell):
    await parity_cell.check(reenter)
'''


@pytest.fixture(scope="module")
def causes_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("causes")
    (tmp / "test_reenter.py").write_text(REENTER)
    out = tmp / "out"
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"-c={ROOT / 'pyproject.toml'}", "-q",
           "--rootdir", str(ROOT), "compat/test_smoke.py", "compat/test_history.py", "compat/test_api_methods.py",
           "compat/test_errors.py", str(tmp / "test_reenter.py"), "--parity-quick", "--parity-out", str(out),
           "--parity-saver", "pr=tests.broken_savers:put_raises", "--parity-saver", "nl=tests.broken_savers:no_sync_list",
           "--parity-backend", "pr,nl"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT, env={**os.environ})
    assert (out / "results.json").exists(), proc.stdout[-3000:] + proc.stderr[-2000:]
    return proc, json.loads((out / "results.json").read_text()), out


def test_a_put_that_raises_on_every_call_is_one_cause_per_call_named_after_it(causes_run):
    proc, doc, _ = causes_run
    pr = [f for f in doc["findings"] if f["backend"] == "pr"]
    assert len(pr) >= 8, [f["summary"] for f in pr]
    assert {f["cause"] for f in pr} == {PUT, "a" + PUT}, {f["scenario"]: f["cause"] for f in pr}
    assert all(f["summary"] == f["cause"] for f in pr), [f["summary"] for f in pr]


def test_a_missing_method_called_deep_in_langgraph_is_the_built_in_scenarios_cause(causes_run):
    proc, doc, _ = causes_run
    nl = {f["scenario"]: f for f in doc["findings"] if f["backend"] == "nl"}
    deep, direct = nl["test_sync_node_reads_a_subgraph_history"], nl["test_sync_api_of_an_async_saver"]
    assert deep["cause"].startswith(SYNC_LIST), deep
    assert deep["cause"] == direct["cause"] == direct["summary"], (deep["cause"], direct)


def test_console_and_report_count_root_causes_with_their_cells(causes_run):
    from parity.render.common import group_findings

    proc, doc, out = causes_run
    groups = group_findings(doc["findings"])
    assert len(groups) == 3, [g[0].get("cause") or g[0]["summary"] for g in groups]  # put, aput, sync list
    line = f"findings: 3 root causes ({len(doc['findings'])} cells)"  # the renderers' words
    console = f"root causes: 3 new ({len(doc['findings'])} cells), 0 known divergences (0 cells)"  # parity.console
    assert console in proc.stdout, proc.stdout[-3000:]
    lines = proc.stdout.splitlines()
    cause_lines = [ln for ln, nxt in zip(lines, lines[1:]) if nxt.startswith("    in ")]
    assert len(cause_lines) == 3 and f"  pr: {PUT}" in cause_lines, cause_lines
    from parity import results
    from parity.render.html import render_html
    from parity.render.markdown import render_markdown

    saved = results.load(out / "results.json")  # renderers read the saved document only
    assert f"_{line.removeprefix('findings: ')}: " in render_markdown(saved)
    assert f"{line.removeprefix('findings: ')}: " in render_html(saved)


def test_the_recorder_names_the_outermost_call_and_wraps_nothing_twice():
    from parity.judging import causes
    from parity.judging.calls import Calls
    from tests.broken_savers import PutRaises

    class APutCallsPut(PutRaises):
        async def aput(self, *args):
            return self.put(*args)  # the error leaves put, then aput: the graph called aput

    saver = APutCallsPut()
    calls = Calls()
    calls.watch(calls.watch(saver))  # watched twice (a reopened saver, a second trace): each call recorded once
    with pytest.raises(ConnectionError):
        asyncio.run(saver.aput({"configurable": {"thread_id": "t", "checkpoint_ns": ""}}, {}, {}, {}))
    raised = causes.raised(calls, "async")
    assert [r.call for r in raised] == ["aput"] and raised[0].error.startswith("ConnectionError: "), raised
    assert causes.root(raised, []) == raised[0]
    assert causes.root(raised, raised) is None, "the reference raised the same: no cause"


def test_a_method_the_saver_lacks_is_recorded_and_its_class_still_lacks_it():
    """NoSyncList keeps BaseCheckpointSaver's list: the class still says so (capability detection asks the class),
    and a call to it from a worker thread under an async graph is the cause, named as such."""
    import threading

    from langgraph.checkpoint.base import BaseCheckpointSaver

    from parity.judging import causes
    from parity.judging.calls import Calls
    from tests.broken_savers import NoSyncList

    saver = NoSyncList()
    calls = Calls()
    calls.watch(saver)
    assert type(saver).list is BaseCheckpointSaver.list, "the class must still say the saver lacks list"
    config = {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}
    with pytest.raises(NotImplementedError):
        list(saver.list(config))  # on the scenario's own thread
    worker = threading.Thread(target=lambda: pytest.raises(NotImplementedError, lambda: list(saver.list(config))))
    worker.start()
    worker.join()
    assert [r.call for r in causes.raised(calls, "async")] == ["list", "sync list from a worker thread"]
    assert [r.call for r in causes.raised(calls, "sync")] == ["list", "list"], "a sync graph's worker threads: list"
    assert causes.raised(calls, "async")[1].title("async").startswith(SYNC_LIST)


def test_a_saver_whose_class_cannot_be_swapped_is_watched_through_the_instance():
    """A saver that refuses attribute assignment after its __init__ (as a frozen model does) keeps its class; its
    calls are still recorded, so its root causes are still named."""
    from parity.judging import causes
    from parity.judging.calls import Calls
    from tests.broken_savers import PutRaises

    class Frozen(PutRaises):
        def __setattr__(self, name, value):
            if getattr(self, "_frozen", False):
                raise AttributeError(f"cannot assign to field {name!r}")
            super().__setattr__(name, value)

    saver = Frozen()
    object.__setattr__(saver, "_frozen", True)
    calls = Calls()
    calls.watch(saver)
    assert type(saver) is Frozen and calls.unwatched is None
    with pytest.raises(ConnectionError):
        saver.put({"configurable": {"thread_id": "t", "checkpoint_ns": ""}}, {}, {}, {})
    assert [r.call for r in causes.raised(calls, "sync")] == ["put"]
