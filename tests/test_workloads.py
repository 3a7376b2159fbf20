"""Workloads: the loader's one-line errors, path ignoring, the reference preflight and the demo on memory + sqlite."""

from __future__ import annotations

import json
import textwrap

import pytest

from parity.errors import ParityUsageError
from parity.workloads import Workload, get_state, invoke, load, resume
from parity.workloads.runner import ignore_paths, preflight

from conftest import run_cli, run_pytest

GRAPH = '''
from typing import TypedDict
from langgraph.graph import START, END, StateGraph
from langgraph.types import interrupt


class S(TypedDict):
    n: int
    ok: str


def builder():
    g = StateGraph(S)
    g.add_node("inc", lambda s: {"n": s["n"] + 1})
    g.add_node("ask", lambda s: {"ok": interrupt({"n": s["n"]})})
    g.add_edge(START, "inc")
    g.add_edge("inc", "ask")
    g.add_edge("ask", END)
    return g


def build(checkpointer):
    return builder().compile(checkpointer=checkpointer)


def not_compiled(checkpointer):
    return builder()


def ignores_saver(checkpointer):
    return builder().compile()


def boom(checkpointer):
    g = StateGraph(S)
    g.add_node("inc", lambda s: {"n": s["n"] / 0})
    g.add_edge(START, "inc")
    return g.compile(checkpointer=checkpointer)
'''

STEPS = '''
[[steps]]
invoke = {n = 1, ok = ""}
[[steps]]
get_state = true
[[steps]]
resume = "yes"
'''


@pytest.fixture
def graph_dir(tmp_path, monkeypatch):
    (tmp_path / "wl_graph.py").write_text(GRAPH)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def script(graph_dir, factory: str, steps: str = STEPS, name: str = "s") -> str:
    path = graph_dir / f"{name}.toml"
    path.write_text(f'factory = "{factory}"\nname = "{name}"\n' + steps)
    return str(path)


def usage_line(spec: str) -> str:
    with pytest.raises(ParityUsageError) as info:
        load(spec)
    line = info.value.line()
    assert "\n" not in line, f"expected one line, got {line!r}"
    return line


def test_module_that_does_not_import():
    assert "does not import" in usage_line("no_such_module_xyz:workload")


def test_missing_attribute_and_wrong_object():
    assert "has no attribute 'nope'" in usage_line("parity.workloads.demo:nope")
    assert "not a parity.workloads.Workload" in usage_line("parity.workloads.demo.graph:LEAD")


def test_factory_must_return_a_compiled_graph_on_its_checkpointer(graph_dir):
    assert "not a compiled graph" in usage_line(script(graph_dir, "wl_graph:not_compiled", name="a"))
    assert "does not use the checkpointer" in usage_line(script(graph_dir, "wl_graph:ignores_saver", name="b"))


@pytest.mark.parametrize("steps, expected", [
    ("[[steps]\ninvoke = 1", "does not parse"),
    ("[[steps]]\ninvoke = {}\nresume = 1", "has 2 action keys"),
    ("[[steps]]\ninvoke = {}\nas_node = 'x'", "unknown keys ['as_node']"),
    ("[[steps]]\ntime_travel = 'first'", "must be an integer"),
    ("", "needs factory"),
])
def test_step_script_that_does_not_parse(graph_dir, steps, expected):
    line = usage_line(script(graph_dir, "wl_graph:build", steps, name=f"bad{abs(hash(steps)) % 1000}"))
    assert expected in line, f"expected {expected!r} in {line!r}"


def test_json_script_loads(graph_dir):
    path = graph_dir / "j.json"
    path.write_text(json.dumps({"factory": "wl_graph:build", "steps": [{"invoke": {"n": 1, "ok": ""}}, {"resume": 1}]}))
    assert [s.action for s in load(str(path)).steps] == ["invoke", "resume"]


def test_graph_failing_on_the_reference_is_the_users_bug(graph_dir):
    workload = load(script(graph_dir, "wl_graph:boom", name="boom"))
    with pytest.raises(ParityUsageError) as info:
        preflight(workload)
    assert "fails on the reference backend" in info.value.line() and "ZeroDivisionError" in info.value.line()
    assert "not a checkpointer divergence" in info.value.line()


@pytest.mark.parametrize("spec", ["no_such_module_xyz:workload", "tests/fixtures/missing.toml"])
def test_parity_check_bad_workload_exits_2_with_one_line(spec):
    proc = run_cli("check", "--workload", spec)
    assert proc.returncode == 2, f"expected exit 2, got {proc.returncode}: {proc.stderr}"
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("parity: "), f"expected one 'parity:' line, got {lines}"


def test_ignore_paths_by_glob_suffix():
    value = {"values": {"draft": {"created_at": 1, "body": "b"}, "items": [{"uid": 1}, {"uid": 2}]}}
    out = ignore_paths({"history": [value]}, ("values.draft.created_at", "items.*.uid"))
    assert out == {"history": [{"values": {"draft": {"created_at": "<ignored>", "body": "b"},
                                           "items": [{"uid": "<ignored>"}, {"uid": "<ignored>"}]}}]}, out
    assert ignore_paths(value, ()) is value


async def test_demo_needs_its_ignores_and_is_stable_with_them():
    """Without its declared ignores the demo differs between two reference runs (generated ids, clocks)."""
    from parity.backends.backend import SaverContext
    from parity.backends.registry import default_registry
    from parity.judging.driver import Driver
    from parity.judging.trace import Trace, diff
    from parity.workloads.runner import play

    demo = load("parity.workloads.demo:sales_email")
    bare = Workload("bare", demo.build, demo.steps)
    memory = default_registry().get("memory")

    async def trace(w, scope):
        t = Trace()
        with memory.saver("sync", SaverContext(None, scope)) as saver:
            await play(w, Driver(memory, "sync", SaverContext(None, scope), saver, t))
        return t

    assert diff(await trace(demo, "d1"), await trace(demo, "d2")) is None
    assert diff(await trace(bare, "b1"), await trace(bare, "b2")) is not None


def test_python_workload_object():
    w = Workload("w", lambda cp: None, [invoke({"n": 1}), get_state(), resume("yes"), {"history": True}])
    assert [s.action for s in w.steps] == ["invoke", "get_state", "resume", "history"] and w.needs_full_history()


def test_demo_matrix_on_memory_and_sqlite(tmp_path):
    proc = run_pytest("compat/test_workloads.py", "--parity-workload", "parity.workloads.demo:sales_email",
                      "--parity-backend", "memory", "--parity-backend", "sqlite",
                      "--parity-quick", "--parity-out", str(tmp_path), timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:]
    doc = json.loads((tmp_path / "results.json").read_text())
    statuses = {(r["backend"], r["flavour"], r["loop"]): r["status"] for r in doc["workloads"]}
    assert {k[:2] for k in statuses} == {(b, f) for b in ("memory", "sqlite") for f in ("sync", "async")}, statuses
    assert set(statuses.values()) == {"passed"}, statuses
    e2e = [t for t in doc["workload_timings"] if t["step"] == "end-to-end"]
    assert {(t["backend"], t["flavour"], t["loop"]) for t in e2e} == set(statuses), e2e
    assert all(t["n"] == 3 and t["ci_low_ms"] <= t["median_ms"] <= t["ci_high_ms"] for t in e2e), e2e
    cells = [c for c in doc["cells"] if c["scenario"] == "test_workload"]
    assert cells and all(c["workload"] == "sales_email" for c in cells), cells


def test_reference_failure_in_the_pytest_path(graph_dir):
    spec = script(graph_dir, "wl_graph:boom", name="boom2")
    proc = run_pytest("compat/test_workloads.py", "--parity-workload", spec, "--parity-backend", "sqlite",
                      timeout=120)
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert "fails on the reference backend (memory" in proc.stdout and "not a divergence" in proc.stdout, proc.stdout[-2000:]
