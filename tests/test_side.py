"""`parity run`'s fault studies in a process beside compat (parity/cli/side.py): joined into one run, never beside bench."""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from conftest import ROOT, run_cli, wait_for
from parity.cli import side
from tests.process_tree import servers_of


def _args(**kw) -> argparse.Namespace:
    return argparse.Namespace(**{"sequential": False, "shard": None, "pytest_args": [], **kw})


def test_faults_run_beside_compat_only_when_both_run_whole_in_one_process_each():
    assert side.overlaps(_args(), ["compat", "bench", "faults"], False)
    assert not side.overlaps(_args(), ["bench", "faults"], False), "nothing to run beside"
    assert not side.overlaps(_args(), ["compat", "bench"], False), "no faults"
    assert not side.overlaps(_args(sequential=True), ["compat", "faults"], False), "--sequential"
    assert not side.overlaps(_args(shard="1/2"), ["compat", "faults"], False), "--shard"
    assert not side.overlaps(_args(), ["compat", "faults"], True), "-n"


def test_the_part_beside_joins_its_rows_failures_and_time(tmp_path):
    beside = tmp_path / ".side"
    beside.mkdir()
    failed = {"id": "faults/test_outages.py::test_stalled_network[redis]", "phase": "call", "reason": "AssertionError"}
    (beside / "results.json").write_text(json.dumps({
        "run": {"parts": {"faults": {"seconds": 9.0, "tests": 3}}, "failed_tests": [failed],
                "not_run_tests": [{"id": "faults/test_ttl.py::test_ttl_expiry[postgres]", "reason": "not-applicable: x"}]},
        "faults": [{"claim": "C8", "backend": "redis"}], "durability": [], "outages": [{"backend": "redis"}],
        "findings": [{"id": "f1"}], "servers": [{"family": "redis"}], "claims": [{"id": "C8"}]}))
    (beside / "failures.txt").write_text("=== the whole traceback ===\n")
    (beside / "waited").write_text("4.5")
    doc = {"run": {}, "faults": [], "outages": [], "findings": [{"id": "f0"}], "servers": [{"family": "postgres"}],
           "claims": []}
    joined = side.fold(doc, beside, 1, 12.34)
    assert doc["faults"] == [{"claim": "C8", "backend": "redis"}] and doc["outages"] == [{"backend": "redis"}]
    assert [f["id"] for f in doc["findings"]] == ["f0", "f1"]
    # its own session's servers and its derived claims stay out: this run's are the ones it describes and derives
    assert doc["servers"] == [{"family": "postgres"}] and doc["claims"] == []
    assert joined["failed"] == [failed] and "whole traceback" in joined["failures_text"]
    assert joined["tests"] == 3 and joined["seconds"] == 12.3 and joined["waited_s"] == 4.5
    assert not joined["kept_console"] and "incomplete" not in doc["run"]
    assert [r["id"] for r in doc["run"]["not_run_tests"]] == ["faults/test_ttl.py::test_ttl_expiry[postgres]"]


def test_a_part_beside_that_did_not_complete_makes_the_run_incomplete(tmp_path):
    doc = {"run": {}}
    joined = side.fold(doc, tmp_path, 3, 1.0)  # pytest's internal error, no document
    assert joined["kept_console"]
    assert "did not complete (pytest exit 3)" in doc["run"]["incomplete"][0]


def test_a_timed_study_beside_compat_starts_once_compat_has_ended(tmp_path, monkeypatch):
    flag = tmp_path / "compat-ended"
    monkeypatch.setenv(side.ENV, str(flag))

    class Item:
        def __init__(self, timed: bool) -> None:
            self.timed = timed

        def get_closest_marker(self, name):
            return object() if self.timed and name == side.TIMED else None

    t0 = time.monotonic()
    side.pytest_runtest_setup(Item(False))
    assert time.monotonic() - t0 < 0.1, "an untimed study does not wait"
    threading.Timer(0.6, flag.touch).start()
    side.pytest_runtest_setup(Item(True))
    assert time.monotonic() - t0 >= 0.5, "the timed study started before compat ended"
    assert float((tmp_path / "waited").read_text()) >= 0.5


def test_the_shadow_fault_study_is_timed():
    text = (ROOT / "faults" / "test_shadow_faults.py").read_text()
    assert "pytestmark = pytest.mark.parity_timed" in text


def test_a_real_run_with_faults_beside_compat_is_one_run(tmp_path):
    out = run_cli("run", "--quick", "--only", "compat", "--only", "faults", "--workload", "none", "--backend",
                  "memory,redis", "-k", "smoke or test_ttl_expiry or test_redis_without_modules", "--out",
                  str(tmp_path), "--history", "none", timeout=400)
    assert out.returncode == 0, out.stderr[-2000:] + out.stdout[-2000:]
    assert "parity: faults started beside compat" in out.stdout, out.stdout[-2000:]
    assert "ran beside compat: took" in out.stdout, out.stdout[-2000:]
    doc = json.loads((tmp_path / "results.json").read_text())
    assert {c["backend"] for c in doc["cells"]} == {"memory", "redis"}
    claims = {r["claim"] for r in doc["faults"]}
    assert {"C7", "C8"} <= claims, doc["faults"]
    assert doc["run"]["parts"]["faults"]["tests"] == 2 and doc["run"]["parts"]["compat"]["tests"] > 0
    assert [s["family"] for s in doc["servers"]].count("redis") == 1, "only this run's own session servers"
    assert not (tmp_path / side.SIDE_DIR).exists(), "the part beside left its folder"
    assert "parts: compat" in out.stdout and "faults" in out.stdout.split("parts: ", 1)[1].splitlines()[0]


def test_ctrl_c_stops_the_part_beside_and_its_servers(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "parity.cli", "run", "--quick", "--only", "compat", "--only",
                             "faults", "--workload", "none", "--backend", "memory,redis", "-k",
                             "test_generated or test_ttl_refresh_on_read", "--out", str(tmp_path), "--history",
                             "none"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    parent = psutil.Process(proc.pid)
    # the fault's own Redis: a grandchild (the process beside started it), beside the session's (a child)
    beside = lambda: [s for s in servers_of(parent) if s.ppid() != parent.pid]  # noqa: E731
    assert wait_for(lambda: beside() and servers_of(parent), timeout=90), "the run never started the fault's server"
    servers = servers_of(parent)
    dirs = {Path(s.cwd()) for s in servers}
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, f"exit {proc.returncode}: {err[-1500:]}"
    assert time.monotonic() - t0 < 10, "Ctrl-C took too long with a part beside"
    assert wait_for(lambda: not any(s.is_running() and s.status() != psutil.STATUS_ZOMBIE for s in servers), 15), \
        "a server outlived Ctrl-C"
    assert wait_for(lambda: not any(d.exists() for d in dirs), 15), f"data dirs left behind: {dirs}"
    assert not (tmp_path / side.SIDE_DIR).exists()
