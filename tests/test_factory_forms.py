"""Every factory form docs/own-saver.md allows, opened the right way for each flavour: in a quick matrix, in the team
fixtures and in the emitted repro scripts; sync cells call the sync API with no event loop (tests/factory_forms.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from tests.factory_forms import FORMS

ROOT = Path(__file__).resolve().parents[1]
# A quick matrix per form: scenarios that call every part of the saver API, sync and async, through graphs.
SCENARIOS = ["compat/test_smoke.py", "compat/test_history.py", "compat/test_saver_api.py"]


@pytest.fixture(scope="module")
def forms_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("forms")
    savers = [a for form in FORMS for a in ("--parity-saver", f"{form}=tests.factory_forms:{form}")]
    cmd = [sys.executable, "-m", "pytest", *SCENARIOS, "-q", "-p", "no:cacheprovider", "--parity-quick",
           "--parity-out", str(out), *savers, "--parity-backend", ",".join(FORMS)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT, env={**os.environ})
    assert (out / "results.json").exists(), proc.stdout[-3000:] + proc.stderr[-2000:]
    return proc, json.loads((out / "results.json").read_text())


@pytest.mark.parametrize("form", sorted(FORMS))
def test_each_form_runs_each_flavour_it_offers_and_passes(forms_run, form):
    proc, doc = forms_run
    ran = defaultdict(list)
    for cell in doc["cells"]:
        if cell["backend"] == form and cell["status"] != "not-applicable":
            ran[cell["flavour"]].append((cell["id"], cell["status"], cell["reason"]))
    assert set(ran) == FORMS[form], f"{form}: flavours that ran {sorted(ran)}, expected {sorted(FORMS[form])}"
    broken = [c for cells in ran.values() for c in cells if c[1] != "passed"]
    assert not broken, f"{form}: {broken[:3]}"


def test_sync_cells_have_no_loop_in_their_id_or_row(forms_run):
    _, doc = forms_run
    sync = [c for c in doc["cells"] if c["flavour"] == "sync"]
    assert sync and all(c["loop"] is None and c["id"].endswith("-sync]") for c in sync), sync[:3]
    assert all(c["loop"] for c in doc["cells"] if c["flavour"] == "async")


def test_a_flavour_a_form_cannot_give_says_why(forms_run):
    from parity.backends.registry import backend_from_factory
    from tests import factory_forms

    for form, offered in FORMS.items():
        backend = backend_from_factory(form, getattr(factory_forms, form), origin=f"tests.factory_forms:{form}")
        backend.resolve(lambda family: None)
        assert set(backend.flavours()) == offered, (form, backend.flavours(), backend.absent)
        assert set(backend.absent) == {"sync", "async"} - offered, (form, backend.absent)
        assert all(backend.absent.values()), backend.absent


def test_the_old_way_sync_calls_inside_a_running_loop_fail_on_this_saver():
    """The control: the same saver called the way sync cells used to call it (inside a running loop) raises."""
    import asyncio

    from tests.factory_forms import RefusesRunningLoop, SynchronousOnlyOperation

    async def inside():
        RefusesRunningLoop().get_tuple({"configurable": {"thread_id": "t", "checkpoint_ns": ""}})

    with pytest.raises(SynchronousOnlyOperation):
        asyncio.run(inside())


@pytest.mark.parametrize("kind", ["saver_api", "graph"])
@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_each_form_repro_script_opens_it_and_passes(tmp_path, kind, flavour):
    """`python repro/X.py saver` opens the factory as the matrix does, for every form that offers the flavour."""
    from parity.backends.registry import backend_from_factory
    from parity.generated import graph_repro, repro
    from parity.judging.findings import Finding
    from tests import factory_forms

    ops = ([("put", "t1", "", "1ef00001-0000-6000-8000-000000000001", None, {"v": 1}, {"k": 1}),
            ("get", "t1", "", None), ("list", "t1", "", None, None, None)] if kind == "saver_api"
           else [("invoke", "t1", 1, "parent"), ("resume", "t1", 2), ("history", "t1", None)])
    make = repro.script if kind == "saver_api" else graph_repro.script
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    failures = []
    for form, offered in FORMS.items():
        if flavour not in offered:
            continue
        backend = backend_from_factory(form, getattr(factory_forms, form), origin=f"tests.factory_forms:{form}")
        finding = Finding(form, flavour, "selector" if flavour == "async" else None, "t", "C12", "summary", "diff")
        path = tmp_path / f"{form}.py"
        path.write_text(make(finding, backend, ops))
        proc = subprocess.run([sys.executable, str(path), "saver"], capture_output=True, text=True, env=env,
                              timeout=120, cwd=tmp_path)
        if proc.returncode != 0 or "same as InMemorySaver" not in proc.stdout:
            failures.append((form, proc.returncode, (proc.stdout + proc.stderr)[-800:]))
    assert not failures, failures


GAP_TEST = '''
import pytest

pytestmark = pytest.mark.asyncio


@pytest.mark.parity_flavours("async")
async def test_only_async(parity_cell):
    pass
'''


def test_a_flavour_offered_but_given_no_cell_is_an_error_the_run_reports(tmp_path):
    (tmp_path / "test_gap.py").write_text(GAP_TEST)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "pytest", "test_gap.py", "-q", "-p", "no:cacheprovider",
                           "--parity-saver", "both=tests.factory_forms:both_split", "--parity-backend", "both",
                           "--parity-out", str(out)], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    doc = json.loads((out / "results.json").read_text())
    gap = "both offers the sync API but no sync cell was made for it"
    assert doc["run"]["flavour_gaps"] == [gap], proc.stdout[-2000:]
    assert any(gap in line for line in doc["run"]["incomplete"]), doc["run"]
    assert f"ERROR: {gap}" in proc.stdout, proc.stdout[-2000:]


def test_a_flavour_left_out_says_why_on_the_console(forms_run):
    proc, doc = forms_run
    assert doc["run"]["flavours_left_out"]["async_def"]["sync"].startswith("an `async def` factory")
    assert "not tested: async_cm sync: an async context manager opens only with `async with`" in proc.stdout
    assert "flavour_gaps" not in doc["run"]


TEAM = '''
from langgraph.checkpoint.base import empty_checkpoint

CFG = {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}


def test_sync(checkpointer):
    saved = checkpointer.put(CFG, empty_checkpoint(), {"source": "input", "step": -1}, {})
    assert checkpointer.get_tuple(saved) is not None


async def test_async(async_checkpointer):
    saved = await async_checkpointer.aput(CFG, empty_checkpoint(), {"source": "input", "step": -1}, {})
    assert await async_checkpointer.aget_tuple(saved) is not None
'''


def test_each_form_through_the_team_fixtures(tmp_path):
    """checkpointer / async_checkpointer open every form as the matrix does; a sync test runs no loop, so the saver
    that refuses a running loop passes there."""
    (tmp_path / "test_team.py").write_text(TEAM)
    (tmp_path / "pytest.ini").write_text("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    savers = [a for form in FORMS for a in ("--parity-saver", f"{form}=tests.factory_forms:{form}")]
    proc = subprocess.run([sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "--parity-loop", "selector",
                           *savers, "--parity-backend", ",".join(FORMS)], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    out = proc.stdout
    for form, offered in FORMS.items():
        assert f"test_async[{form}-async] PASSED" in out, (form, out[-3000:])
        assert (f"test_sync[{form}-sync] PASSED" in out) == ("sync" in offered), (form, out[-3000:])
    assert proc.returncode == 0, out[-3000:]
