"""Runs LangGraph's tests in the tests' venv, N times, on the servers the suite started; Ctrl-C stops the child."""

from __future__ import annotations

import configparser
import json
import os
import signal
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from parity.langgraph_tests import testenv

PREFIX = "langgraph-tests:"  # the plugin's progress lines; the rest of pytest's output goes to the log
STOP_GRACE_S = 5.0  # after Ctrl-C: pytest's own teardown (savers closed, scopes dropped) before it is killed


@dataclass
class Plan:
    version: str
    source: Path  # the unpacked sdist
    files: list[str]
    flavours: dict[str, list[str]]  # backend -> sync/async fixtures it joins
    savers: list[str]  # --parity-saver specs, for the child's registry
    urls: dict[str, str]
    repeat: int = 1
    select: str | None = None  # pytest -k
    timeout_s: float = 180.0
    work: Path = field(default_factory=Path)  # outcomes, config and pytest's log go here


def pytest_plugins(venv: Path) -> list[str]:
    """The venv's own pytest plugins (the group's: syrupy, pytest-mock, anyio ...), named for -p: plugin autoload
    is off, so the suite's environment (appended to the venv's path) brings none of its own (parity, asyncio)."""
    names = []
    for ep_file in sorted(venv.glob("lib/python*/site-packages/*.dist-info/entry_points.txt")):
        cp = configparser.ConfigParser(interpolation=None)
        try:
            cp.read(ep_file)
        except configparser.Error:
            continue
        if cp.has_section("pytest11"):
            names += [value.split(":")[0].strip() for _, value in cp.items("pytest11")]
    return sorted(dict.fromkeys(names))


def command(plan: Plan, venv: Path) -> list[str]:
    cmd = [str(venv / "bin" / "python"), "-m", "pytest", *plan.files, "-q", "-p", "no:cacheprovider",
           "-o", "addopts=", "--rootdir", str(plan.source), "-p", "parity.langgraph_tests.plugin",
           "-p", "pytest_timeout", f"--timeout={plan.timeout_s:g}"]
    for name in pytest_plugins(venv):
        if name not in ("pytest_cov", "xdist.plugin", "xdist.looponfail", "pytest_watcher"):
            cmd += ["-p", name]
    return cmd + (["-k", plan.select] if plan.select else [])


def run_all(plan: Plan, echo: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Every outcome line of every run; runs one after another so a race shows as a rate."""
    venv = testenv.venv_dir(plan.version)
    outcomes = plan.work / "outcomes.jsonl"
    outcomes.unlink(missing_ok=True)
    tag = uuid.uuid4().hex[:6]
    # The tests get a temp folder of their own, removed after: LangGraph's MemorySaverAssertImmutable
    # (tests/memory_assert.py) makes a mkstemp file per checkpointer fixture and removes it only when the saver is
    # closed as a context manager, which the fixture never does (one empty tmpXXXXXXXX per test left in /tmp).
    with tempfile.TemporaryDirectory(prefix="parity-lgt-", ignore_cleanup_errors=True) as tmp:
        for run in range(1, plan.repeat + 1):
            config = plan.work / f"config-{run}.json"
            config.write_text(json.dumps({"savers": plan.savers, "backends": plan.flavours, "urls": plan.urls,
                                          "outcomes": str(outcomes), "tag": tag, "run": run}))
            code = _one(command(plan, venv), plan, config, plan.work / "pytest.log", echo, tmp)
            if code not in (0, 1):  # 1: tests failed, which is what we study; anything else stopped pytest itself
                raise RunFailed(code, plan.work / "pytest.log")
    return [json.loads(line) for line in outcomes.read_text().splitlines() if line.strip()] \
        if outcomes.exists() else []


class RunFailed(Exception):
    def __init__(self, code: int, log: Path) -> None:
        tail = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()][-3:] if log.exists() else []
        super().__init__(f"LangGraph's tests stopped with pytest exit code {code}: {' | '.join(tail)[:400]}")
        self.code, self.log = code, log


def _one(cmd: list[str], plan: Plan, config: Path, log: Path, echo, tmp: str) -> int:
    from parity.langgraph_tests.plugin import CONFIG_ENV

    env = {**os.environ, CONFIG_ENV: str(config), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "TMPDIR": tmp,
           testenv.OUTER_ENV: testenv.outer_site(),
           "NO_DOCKER": "true",  # LangGraph's store and cache fixtures stay in memory: never its fixed ports
           "PYTHONDONTWRITEBYTECODE": "1",  # the cached sdist stays as unpacked (no __pycache__ in it)
           # pytest runs in the sdist: a --parity-saver module of the caller's folder is found as in the caller
           # (load_factory puts the folder first there), after the sdist's own (its `tests` package wins that name)
           "PYTHONPATH": os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), os.getcwd()) if p)}
    with open(log, "a") as out:
        out.write(f"$ {' '.join(cmd)}\n")
        proc = subprocess.Popen(cmd, cwd=plan.source, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, bufsize=1, start_new_session=True)
        try:
            for line in proc.stdout:
                out.write(line)
                if line.startswith(PREFIX):
                    echo(line.rstrip())
            return proc.wait()
        except BaseException:
            _stop(proc)
            raise


def _stop(proc: subprocess.Popen) -> None:
    """SIGINT to the child's group (pytest tears down: savers closed), then SIGKILL if it does not end."""
    try:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=STOP_GRACE_S)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
