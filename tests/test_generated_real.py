"""Repros emitted for real backends' generated findings run as scripts: they fail on that backend, pass on memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What the upstream savers do that InMemorySaver does not (compat/upstream_checks/): Redis returns a bytearray
# channel value as bytes and NaN as None; SqliteSaver returns a bytearray as bytes; RedisSaver's
# get_state_history of a graph lists its subgraph's checkpoints too. If one of these stops showing, the upstream
# bug is fixed: this test then fails on purpose, to be updated with the news.
EXPECTED = {("redis", "test_generated_values"), ("sqlite", "test_generated_values"),
            ("redis", "test_generated_graph_operations")}


@pytest.fixture(scope="module")
def redis_url():
    from parity.families.redis.server import EmbeddedRedis
    from parity.servers.embedded import TempRoot
    from parity.servers.readiness import ServerStartError

    root, server = TempRoot(), None
    try:
        try:
            server = EmbeddedRedis(root).start()
        except ServerStartError as exc:
            pytest.skip(f"not-applicable: embedded Redis unavailable: {exc}")
        yield server.url
    finally:
        if server is not None:
            server.close()
        root.remove()


@pytest.fixture(scope="module")
def real_findings(redis_url, tmp_path_factory):
    out = tmp_path_factory.mktemp("generated-real")
    cmd = [sys.executable, "-m", "pytest", "compat/test_generated.py", "-q", "-p", "no:cacheprovider",
           "--parity-out", str(out), "--parity-redis-url", redis_url, "--parity-backend", "redis,sqlite",
           "--parity-quick", "--parity-seed", "7", "--parity-shrink-seconds", "1",
           "-k", "(test_generated_values or test_generated_graph_operations) and not async"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT, env={**os.environ})
    assert (out / "results.json").exists(), proc.stdout[-3000:] + proc.stderr[-2000:]
    return out, json.loads((out / "results.json").read_text())["findings"]


def test_each_real_backend_finding_has_a_repro_that_fails_there_and_passes_on_memory(redis_url, real_findings):
    out, findings = real_findings
    assert {(f["backend"], f["scenario"]) for f in findings} >= EXPECTED, \
        f"expected upstream findings missing (fixed upstream?): {[(f['backend'], f['scenario']) for f in findings]}"

    def run(finding: dict, arg: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(out / finding["repro"]), arg], capture_output=True, text=True,
                              timeout=120)

    runs = [(f, arg) for f in findings for arg in ("memory", redis_url if f["backend"] == "redis" else "sqlite")]
    with ThreadPoolExecutor(4) as pool:
        done = list(pool.map(lambda fa: run(*fa), runs))
    for (finding, arg), proc in zip(runs, done):
        where = f"{finding['backend']} {finding['scenario']} {finding['repro']} {arg}:\n{proc.stdout[-1500:]}{proc.stderr[-1500:]}"
        if arg == "memory":
            assert proc.returncode == 0 and "same as InMemorySaver" in proc.stdout, where
        else:
            assert proc.returncode == 1 and "InMemorySaver:" in proc.stdout, where
