"""Where the suite's scenarios live: beside the package in a checkout, or inside it (parity/suite/) in a wheel."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from parity.errors import ParityUsageError

PACKAGE = Path(__file__).resolve().parent
PARTS = ("compat", "bench", "faults", "service")
# Parts that are one file of another part's folder: `--only service` runs just it, the default run has it in bench/.
PART_FILES = {"service": "bench/test_service.py"}
# The pytest settings of the suite's own runs (`parity run`, `parity check`), shipped in the package so an
# installed suite reads the same settings as a checkout; tests/test_wheel.py keeps it equal to pyproject.toml's.
SUITE_INI = PACKAGE / "suite_pytest.ini"
REINSTALL = "reinstall the package: pip install --force-reinstall checkpoint-parity"


@dataclass(frozen=True)
class Suite:
    """compat/, bench/, faults/ and examples/ under one root; install is how this copy came: checkout or wheel."""

    root: Path
    install: str

    def part(self, name: str) -> Path:
        path = self.root / PART_FILES.get(name, name)
        if not path.exists():
            raise ParityUsageError(f"the suite's {name}/ folder is missing under {self.root}", REINSTALL)
        return path

    def example(self, name: str) -> Path:
        return self.root / "examples" / name


@lru_cache(maxsize=1)
def suite() -> Suite:
    """The wheel's copy (setup.py maps the top-level folders to parity.suite.*) wins over a checkout's."""
    bundled = PACKAGE / "suite"
    if (bundled / "compat").is_dir():
        return Suite(bundled, "wheel")
    repo = PACKAGE.parent
    if (repo / "compat").is_dir() and (repo / "pyproject.toml").is_file():
        return Suite(repo, "checkout")  # also an editable install (`pip install -e .`)
    raise ParityUsageError(f"the suite's scenarios are missing: neither {bundled} nor {repo / 'compat'} exists",
                           REINSTALL)


def example(name: str) -> str:
    """A shipped example's path for a fix hint: examples/ in a checkout, parity/suite/examples/ in a wheel (a hint
    must never name a file that an installed suite does not have)."""
    try:
        return str(suite().example(name))
    except ParityUsageError:
        return f"the {name} example of checkpoint-parity"


def missing_relative(path: Path, what: str, example_name: str = "", also: str = "") -> ParityUsageError:
    """A relative path that is not there: say where it was looked for, and where a same-named example lives."""
    where = f" (looked in {Path.cwd()})" if not path.is_absolute() else ""
    fix = f"give the path from {Path.cwd()} or an absolute one" if where else "check the path"
    if example_name and path.name == example_name:
        fix += f"; the example ships at {example(example_name)}"
    return ParityUsageError(f"{what} {path} does not exist{where}", fix + (f"; {also}" if also else ""))


def version() -> str | None:
    try:
        return metadata.version("checkpoint-parity")
    except metadata.PackageNotFoundError:  # a checkout on sys.path that was never installed
        return None


def describe() -> dict[str, str | None]:
    """What every results document records about the suite itself."""
    try:
        install = suite().install
    except ParityUsageError:
        install = None
    return {"suite_version": version(), "install": install}
