"""The wheel and the sdist carry the whole suite: every scenario, data file and template a checkout has."""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from parity import layout

ROOT = Path(__file__).resolve().parents[1]
# Top-level folders the wheel carries as parity/suite/<name>/ (setup.py's TOP).
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


def test_the_guard_fails_on_a_missing_data_file(dists):
    """Not a test that cannot fail: drop one data file from the wheel's list and the check names it."""
    names = set(zipfile.ZipFile(dists["wheel"]).namelist())
    dropped = "parity/suite/examples/gate-policy.toml"
    assert dropped in names and sorted(expected_in_wheel() - (names - {dropped})) == [dropped]


# --- Installed, not cloned: the wheel in a fresh venv outside the checkout, with a team's sample application ---

SAMPLE = ROOT / "tests" / "sample_app"
LEAKY_ENV = ("PYTHONPATH", "VIRTUAL_ENV", "PYTEST_ADDOPTS", "PYTEST_PLUGINS")


@dataclass
class Installed:
    work: Path  # mode 700, as `mktemp -d` makes it: also issue 20's private folder when the suite is root
    tmp: Path  # TMPDIR of every command: the suite's own temp roots, to find leftovers by
    venv: Path
    app: Path
    env: dict[str, str]

    def run(self, *argv: str, timeout: float = 300) -> subprocess.CompletedProcess:
        exe = self.venv / "bin" / argv[0]
        return subprocess.run([str(exe), *argv[1:]], cwd=self.app, env=self.env, capture_output=True, text=True,
                              timeout=timeout)

    def leftovers(self) -> list[str]:
        """Processes of this install still running (redis-server from the venv, postgres from the temp root, the
        reaper), and anything left in the suite's temp root."""
        lines = []
        for proc in psutil.process_iter(["cmdline"]):
            line = " ".join(proc.info["cmdline"] or [])
            if str(self.work) in line or str(self.tmp) in line:
                lines.append(line)
        return lines + [str(p) for p in self.tmp.iterdir()]


def installer(venv: Path, artefact: Path) -> list[str]:
    """uv when the dev extra brought it (seconds; pip needs ~2 minutes of index look-ups here), else pip."""
    uv = Path(sys.executable).parent / "uv"
    if uv.exists():
        return [str(uv), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), str(artefact)]
    return [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(artefact)]


@pytest.fixture(scope="module")
def installed(dists) -> Installed:
    if sys.platform == "win32":
        pytest.skip("not-applicable: the install test drives a POSIX venv layout (bin/)")
    work = Path(tempfile.mkdtemp(prefix="parity-installed-"))
    tmp = Path(tempfile.mkdtemp(prefix="parity-installed-tmp-"))
    os.chmod(tmp, 0o711)  # our own TMPDIR, enterable by the postgres server user (the venv's folder is not)
    venv, app = work / "venv", work / "app"
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=120)
        done = subprocess.run(installer(venv, dists["wheel"]), capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"installing the wheel failed:\n{done.stderr[-3000:]}"
        shutil.copytree(SAMPLE, app)
        env = {k: v for k, v in os.environ.items() if k not in LEAKY_ENV and not k.startswith("PARITY_")}
        # The user cache (history, example database) of this install is its own, not the machine's.
        env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", TMPDIR=str(tmp),
                   XDG_CACHE_HOME=str(work / "cache"))
        yield Installed(work, tmp, venv, app, env)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


def one_run_dir(app: Path) -> list[Path]:
    return [p for p in (app / "reports").iterdir() if p.is_dir() and (p / "results.json").exists()]


def test_installed_version_names_the_wheel(installed):
    out = installed.run("parity", "--version")
    assert out.returncode == 0, out.stderr
    site = next((installed.venv / "lib").glob("python*/site-packages"))
    assert out.stdout.strip() == f"checkpoint-parity {project_version()} (wheel: {site / 'parity' / 'suite'})", out.stdout
    check = installed.run("python", "-m", "pip", "check")
    assert check.returncode == 0, f"pip finds the installed requirements inconsistent:\n{check.stdout}"


def test_installed_doctor_starts_every_server(installed):
    """As root this is issue 20's case: the venv sits in a mode-700 folder the postgres server user cannot enter."""
    out = installed.run("parity", "doctor", timeout=180)
    assert out.returncode == 0, f"parity doctor failed:\n{out.stdout}\n{out.stderr}"
    for backend in ("memory", "redis", "postgres"):
        assert any(line.startswith(backend + " ") and " ok" in line for line in out.stdout.splitlines()), out.stdout
    assert not installed.leftovers(), f"doctor left these running or behind: {installed.leftovers()}"


def test_installed_check_runs_the_team_workload(installed):
    out = installed.run("parity", "check", "--workload", "ticketdesk.parity_workload:triage", "--out", "reports/check",
                        "--backend", "memory,redis,postgres", "--quick", timeout=300)
    assert out.returncode == 0, f"parity check failed:\n{out.stdout[-3000:]}\n{out.stderr[-2000:]}"
    doc = json.loads((installed.app / "reports" / "check" / "results.json").read_text())
    assert (doc["run"]["install"], doc["run"]["suite_version"]) == ("wheel", project_version()), doc["run"]
    # known-divergence: a reviewed upstream race waived by the suite's list (the run's own verdict, not ours)
    ok = {row["backend"] for row in doc["workloads"]
          if row["name"] == "triage" and row["status"] in ("passed", "known-divergence")}
    assert ok == {"memory", "redis", "postgres"}, f"triage passed on {ok} only: {doc['workloads']}"


def test_installed_fix_hints_name_files_the_install_has(installed):
    """Bad input in the app folder: one line, exit 2, and the example it points to exists inside the venv."""
    for argv, example in ((["check", "--workload", "examples/sales_email_workload.toml"], "sales_email_workload.toml"),
                          (["gate", ".", "--policy", "gate-policy.toml"], "gate-policy.toml")):
        out = installed.run("parity", *argv)
        lines = out.stderr.strip().splitlines()
        assert out.returncode == 2 and len(lines) == 1, f"{argv}: exit {out.returncode}\n{out.stderr}"
        shipped = lines[0].split("the example ships at ", 1)[1].split(";")[0].rstrip(")")
        assert Path(shipped).is_file() and str(installed.venv) in shipped, f"hint names {shipped}: {lines[0]}"
        assert Path(shipped).name == example


def test_installed_fixtures_run_the_team_tests(installed):
    """The sample's own pytest, nothing of the suite's but its fixtures: each test on memory, redis and postgres."""
    out = installed.run("python", "-m", "pytest", "-p", "no:cacheprovider", "-rA", timeout=300)
    assert out.returncode == 0, f"the sample's tests failed:\n{out.stdout[-4000:]}"
    passed = {line.split()[1] for line in out.stdout.splitlines() if line.startswith("PASSED ")}
    for backend in ("memory", "redis", "postgres"):
        for test in (f"test_refund_waits_for_approval[{backend}-sync]", f"test_same_as_memory[{backend}-sync]",
                     f"test_question_is_answered[{backend}-async-selector]"):
            assert f"tests/test_triage.py::{test}" in passed, f"{test} did not pass:\n{out.stdout[-3000:]}"


def test_installed_run_writes_reports_in_the_app_folder(installed):
    before = set(one_run_dir(installed.app)) if (installed.app / "reports").exists() else set()
    out = installed.run("parity", "run", "--only", "compat", "--quick", "--backend", "memory,redis,postgres",
                        "-k", "smoke", timeout=300)
    assert out.returncode == 0, f"parity run failed:\n{out.stdout[-3000:]}\n{out.stderr[-2000:]}"
    new = set(one_run_dir(installed.app)) - before
    assert len(new) == 1, f"expected one new run folder under {installed.app / 'reports'}, got {new}"
    run_dir = new.pop()
    for name in ("results.json", "report.html", "summary.md", "junit.xml"):
        assert (run_dir / name).is_file(), f"{name} missing from {run_dir}"
    # The history outlives the run folder: in the user cache, never in the app folder (issue 27, item 4).
    assert (installed.work / "cache" / "checkpoint-parity" / "history.jsonl").is_file()
    assert not (installed.app / "reports" / "history.jsonl").exists()
    doc = json.loads((run_dir / "results.json").read_text())
    assert doc["run"]["install"] == "wheel" and doc["cells"], doc["run"]
    assert {c["backend"] for c in doc["cells"]} == {"memory", "redis", "postgres"}
    inside = [str(p) for p in installed.venv.rglob("*") if p.name in ("results.json", "history.jsonl", "report.html")]
    assert not inside, f"outputs written inside the venv: {inside}"
    report = installed.run("parity", "report", str(run_dir.relative_to(installed.app)))
    assert report.returncode == 0, report.stderr


def test_installed_from_the_sdist(installed, dists):
    """pip builds the sdist itself (setup.py's mapping included); `python -m build` already made the
    wheel the other tests ran from this sdist, so the suite answering from the reinstall is enough here."""
    pip = installed.run("python", "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall",
                        str(dists["sdist"]), timeout=300)
    assert pip.returncode == 0, f"pip install of the sdist failed:\n{pip.stderr[-3000:]}"
    version = installed.run("parity", "--version")  # "wheel" only when the installed parity/suite/compat exists
    assert version.returncode == 0 and "(wheel: " in version.stdout, version.stdout + version.stderr
    suite = Path(version.stdout.split("(wheel: ", 1)[1].rstrip(")\n"))
    for part in ("compat/test_smoke.py", "bench/conftest.py", "faults/conftest.py", "examples/gate-policy.toml"):
        assert (suite / part).is_file(), f"{part} missing from the sdist install at {suite}"


def test_installed_leaves_nothing_running(installed):
    assert not installed.leftovers(), f"left running or behind after the install tests: {installed.leftovers()}"


def project_version() -> str:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
