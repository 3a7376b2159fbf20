"""Honest under misuse (issue 14): each test is named after a symptom a user met, and checks it is gone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pytest(out: Path, *args: str, timeout: float = 300) -> tuple[subprocess.CompletedProcess, dict]:
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"-c={ROOT / 'pyproject.toml'}",
           "--parity-out", str(out), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env={**os.environ})
    results = out / "results.json"
    assert results.exists(), f"no results.json; pytest said:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}"
    return proc, json.loads(results.read_text())


# 1. A hang reported as passed: the uvloop cell ignored --timeout and passed after the node's whole sleep.
def test_a_hang_on_any_loop_is_timed_out_never_passed(tmp_path):
    started = time.monotonic()
    proc, doc = _pytest(tmp_path, "compat/test_workloads.py", "--parity-backend", "sqlite", "--parity-timeout", "1",
                        "--parity-workload", "tests.hanging_workloads:sync_hang",
                        "--parity-workload", "tests.hanging_workloads:async_hang")
    elapsed = time.monotonic() - started
    cells = {(c["workload"], c["flavour"], c["loop"]): c for c in doc["cells"] if c["status"] != "not-applicable"}
    loops = {loop for _, flavour, loop in cells if flavour == "async"}
    assert {"selector", "uvloop"} <= loops, f"every loop of this platform must be tried, got {sorted(loops)}"
    for workload in ("sync_hang", "async_hang"):
        for key in [k for k in cells if k[0] == workload]:
            cell = cells[key]
            assert cell["status"] == "failed" and cell["reason"].startswith("timed out after 1 s"), (key, cell)
            assert cell["duration_s"] < 10, f"{key} ran {cell['duration_s']} s past a 1 s limit"
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert elapsed < 50, f"the hung threads (60 s sleeps) must not keep the run alive: it took {elapsed:.0f} s"
