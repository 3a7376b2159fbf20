"""Bad input a new user meets in their own repository: one line naming what is wrong and the fix, exit 2."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

SAMPLE = ROOT / "tests" / "sample_app"


def parity(*argv: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARITY_")}
    return subprocess.run([sys.executable, "-m", "parity.cli", *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def one_line(out: subprocess.CompletedProcess, code: int = 2) -> str:
    lines = out.stderr.strip().splitlines()
    assert out.returncode == code and len(lines) == 1 and "Traceback" not in out.stderr, \
        f"expected one line and exit {code}, got exit {out.returncode}:\n{out.stderr}{out.stdout[-2000:]}"
    return lines[0]


def named_paths(line: str) -> list[Path]:
    """Absolute paths a fix hint names: each must exist (a hint never points at a file an install lacks)."""
    return [Path(p.rstrip(");,")) for p in re.findall(r"(?<![\w.])(/[\w./-]+\.(?:toml|json|md|py))", line)]


@pytest.fixture
def app(tmp_path) -> Path:
    """The sample application, copied outside the checkout: its folder is the current one."""
    return Path(shutil.copytree(SAMPLE, tmp_path / "app"))


@pytest.fixture
def read_only(tmp_path):
    """A folder that exists but takes no file: immutable as root (modes do not stop root), mode 555 otherwise."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
            pytest.skip("not-applicable: root, and this file system has no immutable flag (chattr +i)")
        yield folder
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)


@pytest.mark.parametrize("command", [["run", "--only", "compat"],
                                     ["check", "--workload", "ticketdesk.parity_workload:triage"]])
def test_an_unwritable_out_stops_before_anything_runs(app, read_only, command):
    line = one_line(parity(*command, "--out", str(read_only), cwd=app))
    assert f"cannot write into the run directory {read_only}" in line and "fix: choose a writable --out" in line, line


def test_a_workload_path_from_the_wrong_folder(app):
    line = one_line(parity("check", "--workload", "examples/sales_email_workload.toml", cwd=app))
    assert f"workload file examples/sales_email_workload.toml does not exist (looked in {app})" in line, line
    assert f"give the path from {app}" in line and "the example ships at" in line, line
    assert named_paths(line) and all(p.is_file() for p in named_paths(line)), line


def test_a_workload_module_from_the_wrong_folder(app):
    line = one_line(parity("check", "--workload", "ticketdesk.parity_workload:triage", cwd=app / "tests"))
    assert "module 'ticketdesk.parity_workload' does not import" in line, line
    assert f"importable from {app / 'tests'} (run from your project's root, or set PYTHONPATH)" in line, line


def test_a_workload_module_written_as_a_path(app):
    line = one_line(parity("check", "--workload", "ticketdesk/parity_workload.py:triage", cwd=app))
    assert "fix: write the module dotted" in line and "e.g. ticketdesk.parity_workload:triage" in line, line


def test_a_missing_policy_file(app):
    (app / "reports" / "r").mkdir(parents=True)
    line = one_line(parity("gate", "reports/r", "--policy", "parity-gate.toml", cwd=app))
    assert f"policy file parity-gate.toml does not exist (looked in {app})" in line, line
    assert "`parity init` writes a commented one" in line, line
    assert all(p.is_file() for p in named_paths(line)), line


@pytest.mark.parametrize("document, says", [
    ({"schema_version": 0, "run": {"id": "old", "suite_version": "0.0.9"}},
     'has schema_version 0, this parity'),
    ({"run": {"id": "older"}, "cells": []}, "has no schema_version"),
])
@pytest.mark.parametrize("command", ["report", "gate", "compare"])
def test_an_old_results_document(app, document, says, command):
    run = app / "reports" / "old"
    run.mkdir(parents=True)
    (run / "results.json").write_text(json.dumps(document))
    argv = {"report": ["report", "reports/old"], "compare": ["compare", "reports/old", "reports/old"],
            "gate": ["gate", "reports/old", "--policy", str(ROOT / "examples" / "gate-policy.toml")]}[command]
    line = one_line(parity(*argv, cwd=app))
    assert says in line and "re-run `parity run`" in line, line
    if "suite_version" in document["run"]:
        assert 'pip install "checkpoint-parity==0.0.9"' in line, line


COPY_OF_PLUGIN = "from parity.plugin import *  # noqa: F401,F403  (a team's conftest re-exporting the plugin)\n"


@pytest.mark.parametrize("how", ["conftest star-import", "copied module"])
def test_the_plugin_loaded_twice(app, how):
    """Under the team's pytest: one line and pytest's exit code for a usage error (4)."""
    if how == "conftest star-import":
        (app / "conftest.py").write_text(COPY_OF_PLUGIN)
        argv = ["-p", "no:cacheprovider", "-q"]
    else:
        shutil.copy(ROOT / "parity" / "plugin.py", app / "vendored_parity_plugin.py")
        argv = ["-p", "no:cacheprovider", "-q", "-p", "vendored_parity_plugin"]
    out = subprocess.run([sys.executable, "-m", "pytest", *argv], cwd=app, capture_output=True, text=True,
                         timeout=120, env={**os.environ, "PYTHONPATH": str(app)})
    line = one_line(out, code=4)
    assert "the checkpoint-parity plugin is loaded twice" in line and "fix: keep one" in line, line


def test_the_plugin_loaded_twice_through_parity_check(app):
    """Through `parity check` (which never reads the team's conftest): one line, exit 2."""
    shutil.copy(ROOT / "parity" / "plugin.py", app / "vendored_parity_plugin.py")
    line = one_line(parity("check", "--workload", "ticketdesk.parity_workload:triage", "--backend", "memory",
                           "--provider", "embedded", "--", "-p", "vendored_parity_plugin", cwd=app))
    assert "the checkpoint-parity plugin is loaded twice (vendored_parity_plugin, parity.plugin)" in line, line
