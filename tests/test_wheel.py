"""The wheel and the sdist carry the whole suite: every scenario, data file and template a checkout has."""

from __future__ import annotations

import configparser
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from parity import layout

ROOT = Path(__file__).resolve().parents[1]
# Top-level folders the wheel carries as parity/suite/<name>/ (setup.py's SUITE), and the package itself.
SUITE_FOLDERS = ("compat", "bench", "faults", "examples")
NOT_SHIPPED = {"parity/workloads/README.md"}  # documentation read on GitHub, never at run time


def tracked(*folders: str) -> list[str]:
    """The files a checkout has in these folders (git's list; a walk without caches when git is absent)."""
    try:
        out = subprocess.run(["git", "ls-files", *folders], cwd=ROOT, capture_output=True, text=True, check=True)
        return out.stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return [str(p.relative_to(ROOT)) for f in folders for p in (ROOT / f).rglob("*")
                if p.is_file() and "__pycache__" not in p.parts]


def expected_in_wheel() -> set[str]:
    files = {f for f in tracked("parity") if f not in NOT_SHIPPED}
    files |= {f"parity/suite/{f}" for f in tracked(*SUITE_FOLDERS)}
    return files


@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> dict[str, Path]:
    """The wheel and the sdist, built from this checkout the way `pip install` builds them (pip wheel / build)."""
    out = tmp_path_factory.mktemp("dist")
    build = subprocess.run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, f"python -m build failed:\n{build.stdout[-2000:]}\n{build.stderr[-2000:]}"
    return {"wheel": next(out.glob("*.whl")), "sdist": next(out.glob("*.tar.gz"))}


def test_wheel_carries_every_file_of_the_suite(dists):
    names = set(zipfile.ZipFile(dists["wheel"]).namelist())
    missing = sorted(expected_in_wheel() - names)
    assert not missing, f"files of the checkout missing from the wheel (add them to setup.py / package-data): {missing}"


def test_sdist_carries_what_the_wheel_is_built_from(dists):
    with tarfile.open(dists["sdist"]) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    wanted = set(tracked("parity", *SUITE_FOLDERS)) - NOT_SHIPPED | {"setup.py", "pyproject.toml", "README.md"}
    missing = sorted(wanted - names)
    assert not missing, f"files missing from the sdist: {missing}"


def test_suite_ini_matches_pyproject():
    """`parity run` reads parity/suite_pytest.ini; a contributor's `pytest compat` reads pyproject.toml: same settings."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib

    ours = configparser.ConfigParser()
    ours.read(layout.SUITE_INI)
    shipped = {k: v.split() if k == "markers" else v for k, v in ours["pytest"].items()}
    shipped["markers"] = [m.strip() for m in ours["pytest"]["markers"].strip().splitlines()]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    project = {k: v for k, v in project.items() if k != "testpaths"}
    assert shipped == project, f"parity/suite_pytest.ini {shipped} != pyproject.toml {project}"


def test_checkout_is_found_as_a_checkout():
    suite = layout.suite()
    assert (suite.root, suite.install) == (ROOT, "checkout"), f"expected the checkout {ROOT}, got {suite}"
