"""A workload through the matrix on real Redis and Postgres (embedded servers), in a subprocess, quick profile."""

from __future__ import annotations

import json

import pytest

from conftest import run_pytest
from test_workloads import GRAPH


def test_workload_on_redis_and_postgres(tmp_path):
    (tmp_path / "wl_srv_graph.py").write_text(GRAPH)
    spec = tmp_path / "srv.toml"
    spec.write_text('factory = "wl_srv_graph:build"\nname = "srv"\n'
                    '[[steps]]\ninvoke = {n = 1, ok = ""}\n[[steps]]\nget_state = true\n'
                    '[[steps]]\nupdate = {n = 10}\n[[steps]]\nresume = "yes"\n[[steps]]\nhistory = true\n'
                    '[[steps]]\ntime_travel = 1\n')
    proc = run_pytest("compat/test_workloads.py", "--parity-workload", str(spec), "--parity-backend", "redis",
                      "--parity-backend", "postgres", "--parity-quick",
                      "--parity-out", str(tmp_path / "out"), timeout=180)
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    missing = [s for s in doc.get("servers", []) if s.get("unavailable")]
    if missing:
        pytest.skip(f"not-applicable: server unavailable here: {missing}")
    statuses = {(r["backend"], r["flavour"], r["loop"]): r["status"] for r in doc["workloads"]}
    assert {k[:2] for k in statuses} == {(b, f) for b in ("redis", "postgres") for f in ("sync", "async")}, statuses
    # known-divergence = the reviewed upstream race of the sync RedisSaver (parity/known_divergences.toml)
    assert set(statuses.values()) <= {"passed", "known-divergence"}, (statuses, proc.stdout[-3000:])
    assert statuses[("postgres", "sync", None)] == "passed", statuses  # sync cells run no loop
    steps = {t["step"] for t in doc["workload_timings"] if t["backend"] == "redis" and t["flavour"] == "async"}
    assert "end-to-end" in steps and "06 time_travel" in steps, steps
    assert proc.returncode == 0, proc.stdout[-3000:]
