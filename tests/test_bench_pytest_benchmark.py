"""`pytest bench/` speaks pytest-benchmark: --benchmark-save writes its JSON, --benchmark-compare reads it back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _bench(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "pytest", "bench/test_ops_benchmark.py", "-q", "-p", "no:cacheprovider",
           "--parity-backend=memory", "--parity-quick", f"--parity-out={tmp_path / 'out'}",
           f"--benchmark-storage=file://{tmp_path / 'bm'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)


def test_benchmark_save_then_compare(tmp_path):
    first = _bench(tmp_path, "--benchmark-save=base")
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    saved = list((tmp_path / "bm").rglob("*_base.json"))
    assert len(saved) == 1, f"expected one saved run, found {saved}"
    runs = json.loads(saved[0].read_text())["benchmarks"]
    assert runs and all(b["extra_info"]["backend"] == "memory" for b in runs), runs[:1]
    assert {b["extra_info"]["op"] for b in runs} >= {"put", "get_tuple_latest", "list_10"}

    second = _bench(tmp_path, "--benchmark-compare=0001")
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-2000:]
    assert "0001_base" in second.stdout, second.stdout[-2000:]
