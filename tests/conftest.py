"""Self-test fixtures: run the suite's own CLI and pytest in subprocesses, and wait for conditions."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import settings

# The self-tests' own Hypothesis properties draw the same examples every run (a CI run is repeatable and a red
# one is reproducible from its log); `HYPOTHESIS_PROFILE=explore make test` draws new ones to look further.
# The product's generated runs are seeded per run on their own (parity/generated/runner.py).
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
# Generated runs started by self-tests keep no example database (the product's default is a per-user cache, which
# would make a self-test's examples depend on earlier runs); a test that checks the database gives its own.
os.environ["PARITY_HYPOTHESIS_DB"] = "off"

ROOT = Path(__file__).resolve().parents[1]
collect_ignore = ["sample_app"]  # a team's repository in miniature: tests/test_wheel.py runs its tests, installed


def run_cli(*args: str, timeout: float = 60, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "parity.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env={**os.environ, **(env or {})})


def run_pytest(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"-c={ROOT / 'pyproject.toml'}",
                           "-q", *args],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(scope="module")
def redis_url():
    """An embedded Redis (with its modules) for one test module, stopped and its data removed afterwards."""
    from parity.families.redis.server import EmbeddedRedis
    from parity.servers.embedded import TempRoot

    root = TempRoot()
    server = EmbeddedRedis(root, None)
    try:
        server.start()
        yield server.url
    finally:
        server.close()
        root.remove()
