"""The sdist of exactly the installed langgraph, fetched through pip once per version into the user cache."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
from importlib import metadata
from pathlib import Path

from parity.errors import ParityUsageError

# The two fixtures LangGraph's tests take a checkpointer from (tests/conftest.py), parametrised there over
# memory, sqlite and postgres; the plugin replaces their parameters with memory + the chosen savers.
FIXTURES = ("sync_checkpointer", "async_checkpointer")
GROUP = "test"  # the PEP 735 dependency group of langgraph's pyproject.toml the tests need


def cache_root() -> Path:
    """$PARITY_LANGGRAPH_TESTS_CACHE, else $XDG_CACHE_HOME (or ~/.cache)/checkpoint-parity/langgraph-tests."""
    given = os.environ.get("PARITY_LANGGRAPH_TESTS_CACHE")
    if given:
        return Path(given).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "checkpoint-parity" / "langgraph-tests"


def installed_version() -> str:
    try:
        return metadata.version("langgraph")
    except metadata.PackageNotFoundError:
        raise ParityUsageError("langgraph is not installed in this Python", "pip install langgraph") from None


def version_dir(version: str) -> Path:
    return cache_root() / version


def source_dir(version: str) -> Path:
    """The unpacked sdist (langgraph-X/ with tests/ and pyproject.toml); never edited after unpacking."""
    return version_dir(version) / f"langgraph-{version}"


def fetch(version: str, echo=print) -> Path:
    """The unpacked sdist of langgraph==version, downloaded by pip (the package index only) when not cached."""
    src = source_dir(version)
    if (src / "tests" / "conftest.py").is_file():
        return src
    where = version_dir(version)
    where.mkdir(parents=True, exist_ok=True)
    echo(f"langgraph-tests: fetching the sdist of langgraph {version} with pip (once per version) into {where}")
    download = where / "download"
    shutil.rmtree(download, ignore_errors=True)
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:", "--no-deps", "-d", str(download),
           f"langgraph=={version}"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0 and "Requires-Python" in out.stderr:
        # Only the test files are used from the sdist, never installed: a newer declared Python does not matter here
        echo(f"langgraph-tests: langgraph {version}'s sdist declares a newer Python than {sys.version.split()[0]}; "
             "fetched with --ignore-requires-python")
        out = subprocess.run(cmd + ["--ignore-requires-python"], capture_output=True, text=True)
    archives = sorted(download.glob(f"langgraph-{version}.tar.gz")) if out.returncode == 0 else []
    if not archives:
        last = (out.stderr.strip().splitlines() or ["no sdist in pip's download"])[-1][:300]
        raise ParityUsageError(f"could not download the sdist of langgraph {version}: {last}",
                               "check that pip reaches the package index (pip download langgraph==VERSION)")
    _unpack(archives[0], where)
    shutil.rmtree(download, ignore_errors=True)
    if not (src / "tests" / "conftest.py").is_file():
        raise ParityUsageError(f"the sdist of langgraph {version} has no tests/conftest.py",
                               "this langgraph version does not ship its tests; install one that does")
    return src


def _unpack(archive: Path, into: Path) -> None:
    """Unpacked into a temporary folder and renamed: an interrupted unpack never looks like a cached sdist."""
    tmp = into / ".unpacking"
    shutil.rmtree(tmp, ignore_errors=True)
    with tarfile.open(archive) as tar:
        tar.extractall(tmp, filter="data")
    (tmp / archive.name.removesuffix(".tar.gz")).rename(into / archive.name.removesuffix(".tar.gz"))
    shutil.rmtree(tmp, ignore_errors=True)


def test_requirements(src: Path) -> list[str]:
    """The dependency group's requirements ({include-group = ...} followed), as written in the sdist."""
    groups = tomllib.loads((src / "pyproject.toml").read_text()).get("dependency-groups") or {}

    def expand(name: str, seen: tuple[str, ...] = ()) -> list[str]:
        if name not in groups or name in seen:
            raise ParityUsageError(f"langgraph's pyproject.toml has no dependency group {name!r}",
                                   "this langgraph version's tests cannot be installed by the suite")
        out: list[str] = []
        for item in groups[name]:
            out += expand(item["include-group"], seen + (name,)) if isinstance(item, dict) else [item]
        return out

    return expand(GROUP)


def checkpointer_files(src: Path) -> list[str]:
    """tests/test_*.py files that take one of the checkpointer fixtures, relative to the sdist root."""
    tests = src / "tests"
    return sorted(f"tests/{p.name}" for p in tests.glob("test_*.py")
                  if any(name in p.read_text(errors="replace") for name in FIXTURES))
