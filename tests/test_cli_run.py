"""`parity run`: a thin layer over pytest that leaves a complete run directory, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import psutil

from conftest import ROOT, run_cli, wait_for
from tests.process_tree import servers_of


def test_run_writes_results_and_renderings(tmp_path):
    out = run_cli("run", "--only", "compat", "-k", "smoke", "--workload", "none", "--backend", "memory",
                  "--backend", "redis", "--out", str(tmp_path), "--history", str(tmp_path / "history.jsonl"), timeout=240)
    assert out.returncode == 0, out.stderr[-2000:]
    for name in ("results.json", "report.html", "summary.md", "junit.xml"):
        assert (tmp_path / name).stat().st_size > 0, f"{name} missing"
    doc = json.loads((tmp_path / "results.json").read_text())
    assert {c["backend"] for c in doc["cells"]} == {"memory", "redis"}
    # memory and redis are not the guide's Redis + Postgres pair: the run opens with what was asked and found
    assert "asked: memory (the reference), redis" in out.stdout and "found on redis: " in out.stdout, out.stdout[-1500:]
    assert "C12" not in out.stdout and "report:" in out.stdout, out.stdout[-1500:]
    assert "parts: compat" in out.stdout and "FAILURES" not in out.stdout, out.stdout[-1500:]
    assert len((tmp_path / "history.jsonl").read_text().splitlines()) == 1, "the run was not added to its history"
    assert "history" in doc, "the trend was not saved with the run"
    (tmp_path / "report.html").unlink()
    again = run_cli("report", str(tmp_path))
    assert again.returncode == 0 and "Trend across runs" in (tmp_path / "report.html").read_text(), again.stderr[-1500:]


def test_ctrl_c_stops_the_run_and_its_servers(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "parity.cli", "run", "--only", "faults", "-k", "durability",
                             "--out", str(tmp_path), "--history", "none"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    parent = psutil.Process(proc.pid)
    assert wait_for(lambda: servers_of(parent), timeout=60), "the run never started a server"
    servers = servers_of(parent)
    dirs = {Path(s.cwd()) for s in servers}  # redis chdirs to --dir, postgres to its data dir
    assert dirs and all("parity-" in str(d) for d in dirs), dirs
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, f"exit {proc.returncode}: {err[-1500:]}"
    assert "interrupted" in err.splitlines()[-1]
    assert wait_for(lambda: not any(s.is_running() and s.status() != psutil.STATUS_ZOMBIE for s in servers), 15), \
        "a server outlived Ctrl-C"
    assert wait_for(lambda: not any(d.exists() for d in dirs), 15), f"data dirs left behind: {dirs}"


@pytest.mark.parametrize("argv, says", [
    (["run", "--parity-saver", "bad"], "is not NAME=module:factory"),
    (["run", "--backend", "nope"], "unknown backend 'nope'"),
    (["run", "--parity-saver", "x=no_such_mod:f"], "cannot import saver module 'no_such_mod'"),
    (["run", "--loop", "tokio"], "unknown event loop 'tokio'"),
    (["run", "--repeat", "0"], "--repeat 0"),
    (["run", "--out", "/proc/no/such/dir"], "cannot write into the run directory /proc/no/such/dir"),
    (["run", "--provider", "external"], "--provider external needs the URL"),
    (["check", "--workload", "parity.workloads.demo:sales_email", "--backend", "nope"], "unknown backend 'nope'"),
])
def test_bad_run_options_are_one_line_before_pytest_starts(argv, says, capsys, monkeypatch):
    from parity.cli import main

    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("POSTGRES_URL", raising=False)
    monkeypatch.delenv("PARITY_PROVIDER", raising=False)
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and says in err, (code, err)


def test_version(capsys):
    from parity.cli import main

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("checkpoint-parity ")


def _in(cwd: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.run([sys.executable, "-m", "parity.cli", *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def test_with_out_nothing_is_written_to_the_current_folder(tmp_path):
    """--out DIR: the run's files in DIR, the history in the user cache, and nothing at all in the current folder
    (Hypothesis and pytest-benchmark would make ./.hypothesis and ./.benchmarks there)."""
    cwd, out, cache = tmp_path / "cwd", tmp_path / "out", tmp_path / "cache"
    done = _in(cwd, "run", "--only", "compat", "-k", "smoke or generated_values", "--workload", "none",
               "--backend", "memory", "--examples", "2", "--out", str(out), env={"XDG_CACHE_HOME": str(cache)})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert sorted(p.name for p in cwd.iterdir()) == [], f"written to the current folder: {list(cwd.rglob('*'))}"
    assert (out / "report.html").is_file() and (cache / "checkpoint-parity" / "history.jsonl").is_file()


def test_check_without_out_writes_its_run_folder_with_the_report(tmp_path):
    cwd = tmp_path / "cwd"
    done = _in(cwd, "check", "--workload", "parity.workloads.demo:sales_email", "--backend", "memory",
               env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    [run] = list((cwd / "reports").iterdir())
    assert {"results.json", "report.html", "summary.md", "junit.xml"} <= {p.name for p in run.iterdir()}
    assert "found on memory: " in done.stdout and f"results: reports/{run.name}/results.json" in done.stdout


def test_a_divergence_exits_0_and_1_only_with_fail_on_diverged(tmp_path):
    """The exit-code contract on a real run: a saver that lists in the wrong order diverges; the run completed, so
    exit 0 (the gate judges), and --fail-on diverged makes the same run exit 1 with the reason."""
    args = ("run", "--only", "compat", "-k", "test_state_history", "--workload", "none",
            "--backend", "memory,broken_order",
            "--parity-saver", "broken_order=tests.broken_savers:wrong_list_order", "--history", "none")
    plain = run_cli(*args, "--out", str(tmp_path / "a"), timeout=240)
    assert plain.returncode == 0, plain.stdout[-2000:] + plain.stderr[-2000:]
    assert "asked: memory (the reference), broken_order (tests.broken_savers:wrong_list_order" in plain.stdout
    assert "root causes: 1 new" in plain.stdout and "FAILURES" not in plain.stdout, plain.stdout[-2000:]
    assert (tmp_path / "a" / "failures.txt").read_text().count("test_state_history[broken_order-") >= 1
    strict = run_cli(*args, "--fail-on", "diverged", "--out", str(tmp_path / "b"), timeout=240)
    assert strict.returncode == 1 and "--fail-on: " in strict.stderr and "diverged" in strict.stderr, strict.stderr
