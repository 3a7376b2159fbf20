"""tests/litter.py, the guard of make test and CI's jobs: what a command leaves in its own TMPDIR turns it red."""

from __future__ import annotations

import sys
import tempfile

import psutil
import pytest

from tests import litter


@pytest.fixture
def guard(tmp_path, monkeypatch, capsys):
    """run(argv) with the guard's folder made under tmp_path; returns (exit code, stderr, the folders made)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def run(*argv: str, grace: float = 1.0):
        code = litter.run(list(argv), grace=grace)
        return code, capsys.readouterr().err, sorted(tmp_path.iterdir())
    return run


def test_a_clean_command_passes_and_its_folder_goes(guard):
    code, err, folders = guard(sys.executable, "-c", "import os, tempfile; assert tempfile.gettempdir() == "
                               "os.environ['TMPDIR']; tempfile.TemporaryDirectory().cleanup()")
    assert (code, err, folders) == (0, "", []), (code, err, folders)


def test_a_file_left_behind_fails_a_passing_command_by_name(guard):
    code, err, folders = guard(sys.executable, "-c", "import tempfile; tempfile.mkstemp(prefix='forgotten-')")
    assert code == litter.EXIT_LITTER, err
    assert "left in its TMPDIR: forgotten-" in err and "(0 bytes)" in err, err
    assert len(folders) == 1 and str(folders[0]) in err, "a red run's folder stays, and the guard says where"


def test_a_process_still_running_is_named_and_stopped(guard):
    script = ("import subprocess, sys; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'], "
              "start_new_session=True)")  # detached: its own session, as a reaper or a server is
    code, err, _ = guard(sys.executable, "-c", script)
    assert code == litter.EXIT_LITTER and "still running after the command ended" in err, err
    pid = int(err.split("pid ")[1].split(":")[0])
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE, "not stopped"


def test_a_failing_command_keeps_its_exit_code_and_its_folder(guard):
    code, err, folders = guard(sys.executable, "-c", "raise SystemExit(5)")
    assert code == 5 and len(folders) == 1 and "stays for inspection" in err, (code, err)


def test_what_other_tools_leave_by_design_is_not_litter(guard):
    code, err, folders = guard(sys.executable, "-c", "import os, pathlib; t = pathlib.Path(os.environ['TMPDIR']); "
                               "(t / 'uv-setuptools-0123.lock').touch(); (t / 'pytest-of-me').mkdir()")
    assert (code, folders) == (0, []), err
