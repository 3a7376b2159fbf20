"""Smoke: one graph invoke + resume on every registered backend, sync and async, recorded as matrix cells."""

from __future__ import annotations

import json

from conftest import run_pytest
from parity.backends.registry import default_registry
from parity.loops import default_loop


def test_smoke_runs_on_every_backend_flavour_and_loop(tmp_path):
    out = run_pytest("compat/test_smoke.py", "--parity-out", str(tmp_path), "-rs")
    doc = json.loads((tmp_path / "results.json").read_text())
    cells = doc["cells"]
    seen = {(c["backend"], c["flavour"]) for c in cells}
    for backend in default_registry():
        for flavour in backend.flavours():
            assert (backend.name, flavour) in seen, f"no smoke cell for {backend.name}/{flavour}\n{out.stdout[-2000:]}"
    broken = [c for c in cells if c["status"] in ("failed", "error")]
    assert not broken, f"harness failures (not divergences): {broken}"
    reference = [c for c in cells if c["backend"] == "memory" and c["status"] != "not-applicable"]
    assert reference and all(c["status"] == "passed" for c in reference), reference
    for cell in (c for c in cells if c["status"] == "diverged"):
        finding = next(f for f in doc["findings"] if f["id"] in cell["finding_ids"])
        assert finding["diff"].startswith("--- reference"), finding
    na = [c for c in cells if c["status"] == "not-applicable"]
    assert all(c["reason"].startswith("not-applicable: ") for c in na), na
    assert {c["loop"] for c in cells if c["flavour"] == "sync"} == {None}, "sync cells run once, on no event loop"
    assert any(c["loop"] == "proactor" and "Windows" in c["reason"] for c in na), "Windows loops must be listed n/a"


def test_ids_read_backend_flavour_loop():
    out = run_pytest("compat/test_smoke.py", "--collect-only", "--parity-backend", "redis")
    ids = [line.split("[", 1)[1].rstrip("]") for line in out.stdout.splitlines() if "[" in line]
    assert "redis-async-uvloop" in ids and "redis-sync" in ids, ids
    assert not [i for i in ids if i.startswith("redis-sync-")], "a sync cell was multiplied by event loops"


def test_xdist_workers_results_are_merged(tmp_path):
    """`pytest -n 2`: each worker writes its part, the controller merges them into one document."""
    out = run_pytest("compat/test_smoke.py", "-n", "2", "--parity-backend", "memory",
                     "--parity-backend", "sqlite", f"--parity-out={tmp_path}")
    assert out.returncode == 0, out.stdout[-2000:]
    doc = json.loads((tmp_path / "results.json").read_text())
    ran = [c for c in doc["cells"] if c["status"] != "not-applicable"]
    assert len(ran) == 6, f"expected 2 backends x (sync + async selector + async uvloop) = 6 cells, got {ran}"
    assert not (tmp_path / ".parts").exists(), "worker parts left behind"
    assert [c["id"] for c in doc["claims"]] == [f"C{i}" for i in range(1, 16)]
