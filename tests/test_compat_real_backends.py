"""The quick compat matrix on the real embedded servers: every cell ends as a verdict, never as a harness error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VERDICTS = {"passed", "diverged", "known-divergence", "not-applicable"}


@pytest.mark.slow
def test_quick_matrix_on_real_backends(tmp_path):
    """Divergences on Redis/Postgres are findings (the product working); a 'failed' or 'error' cell is our bug."""
    cmd = [sys.executable, "-m", "pytest", "compat", "-q", "-p", "no:cacheprovider", "--parity-quick",
           "--ignore=compat/test_generated.py", "--parity-out", str(tmp_path)]  # generated: tests/test_generated.py
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT, env={**os.environ})
    results = tmp_path / "results.json"
    assert results.exists(), proc.stdout[-3000:] + proc.stderr[-2000:]
    doc = json.loads(results.read_text())
    status = Counter(c["status"] for c in doc["cells"])
    broken = [(c["id"], c["reason"]) for c in doc["cells"] if c["status"] not in VERDICTS]
    assert not broken, broken[:5]
    if any("unavailable" in s for s in doc.get("servers", [])):
        pytest.skip("not-applicable: a server family was unavailable in this environment")
    ran = {c["backend"] for c in doc["cells"] if c["status"] in VERDICTS - {"not-applicable"}}
    assert {"memory", "redis", "postgres"} <= ran, (ran, dict(status))
    assert {r["backend"] for r in doc["conformance"]} >= {"redis", "postgres"}, "conformance rows missing"
    claims = {c["id"]: c for c in doc["claims"]}
    assert all(claims[i]["reason"] and "not measured" not in claims[i]["reason"] for i in ("C4", "C5", "C12")), \
        {i: claims[i] for i in ("C4", "C5", "C12")}
    for f in doc["findings"]:
        assert f["claim"] and f["diff"], f
