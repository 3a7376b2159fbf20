"""parity.process_temp: a process's own temp folder goes when it exits, and a killed one's at the next start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from parity import process_temp

MAKE = ("from parity import process_temp\np = process_temp.folder()\n(p / 'data').write_text('x')\n"
        "print(p, flush=True)\n")


def _python(code: str, tmp: Path, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "TMPDIR": str(tmp)}, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def test_the_folder_goes_when_its_process_exits(tmp_path):
    proc = _python(MAKE, tmp_path)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert Path(out.strip()).parent == tmp_path, out
    assert list(tmp_path.iterdir()) == [], "the folder outlived a process that exited normally"


def test_a_killed_process_folder_goes_when_the_next_process_makes_its_own(tmp_path):
    killed = _python(MAKE + "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", tmp_path)
    out, _ = killed.communicate(timeout=60)
    left = Path(out.strip())
    assert killed.returncode == -9 and (left / "data").exists(), "SIGKILL runs no atexit: the folder stays until..."
    nxt = _python(MAKE, tmp_path)
    out2, err2 = nxt.communicate(timeout=60)
    assert nxt.returncode == 0, err2
    assert not left.exists(), "the next process did not remove the killed one's folder"
    assert list(tmp_path.iterdir()) == [], list(tmp_path.iterdir())


def test_a_live_owner_folder_is_never_swept(tmp_path):
    live = _python(MAKE + "import sys\nsys.stdin.read()\n", tmp_path, stdin=subprocess.PIPE)
    try:
        path = Path(live.stdout.readline().strip())
        assert process_temp.sweep(tmp_path) == [] and (path / "data").exists(), "swept a live process's folder"
    finally:
        live.communicate("", timeout=60)
    assert not path.exists(), "the folder outlived its process"


def test_a_folder_without_its_lock_yet_is_left_alone(tmp_path):
    """A folder being made has no lock file until it is held: a sweep then must not take it for a dead one's."""
    making = tmp_path / f"{process_temp.PREFIX}making"
    making.mkdir()
    (making / f"{process_temp.LOCK}.new").write_text("")
    assert process_temp.sweep(tmp_path) == [] and making.exists()


def test_a_folder_never_held_goes_once_it_is_old(tmp_path):
    """Its maker was killed between making it and holding its lock: no one can own it after UNHELD_AFTER_S."""
    abandoned = tmp_path / f"{process_temp.PREFIX}abandoned"
    abandoned.mkdir()
    old = abandoned.stat().st_mtime - process_temp.UNHELD_AFTER_S - 1
    os.utime(abandoned, (old, old))
    assert process_temp.sweep(tmp_path) == [abandoned] and not abandoned.exists()
