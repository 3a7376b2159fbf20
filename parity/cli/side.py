"""`parity run`'s fault studies beside compat: a second pytest process, joined before the benchmarks start.

compat and the fault studies are functional: neither times anything another process disturbs (a fault study's
deadlines are seconds, its servers its own, its names run-scoped). Most fault time is waiting (TTLs expiring, a
stalled link, a server restarting), so `parity run` runs faults/ in a process of its own while compat runs here, and
waits for it before the first benchmark: bench never shares the CPU with another part. The fault studies that report
timings (`@pytest.mark.parity_timed`: the shadow's p99 under a stalled candidate) wait in that process until compat
has ended, so they do not share the CPU either. `--sequential` runs the parts one after another instead.

The process beside is a whole pytest run of faults/ writing its own results.json under DIR/.side/; its fault rows,
findings, failed tests and failure texts join this run's document before it is derived and saved, and DIR/.side/ is
removed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

BESIDE = "faults"  # the part that runs beside
ALONGSIDE = "compat"  # the part it runs beside
SIDE_DIR = ".side"
ENV = "PARITY_BESIDE_FLAG"  # in the process beside: the file whose existence says compat has ended
TIMED = "parity_timed"
STOP_WAIT_S = 1.5  # Ctrl-C: how long the process beside may unwind before it is killed (its reaper cleans up)


def overlaps(args, parts: list[str], xdist: bool) -> bool:
    """Faults may run beside compat: both selected, in one process each (no -n: `xdist`), unsharded, not
    --sequential."""
    return (BESIDE in parts and ALONGSIDE in parts and not getattr(args, "sequential", False) and os.name == "posix"
            and not getattr(args, "shard", None) and not xdist)


class Beside:
    """The main run's plugin: starts the process beside at session start, lets its timed studies go once compat
    has ended, joins it before the first item of another part (and at the end), stops it on Ctrl-C."""

    def __init__(self) -> None:
        self.argv: list[str] | None = None  # None: nothing runs beside (see overlaps)
        self.dir: Path | None = None
        self.proc: subprocess.Popen | None = None
        self.started = 0.0
        self.joined = False
        self._config = None

    def prepare(self, args, out: Path, paths: list[str], forward) -> list[str]:
        """The main run's paths (this part left out); the process beside gets its own pytest command line."""
        self.dir = out / SIDE_DIR
        side_args = argparse.Namespace(**vars(args))
        side_args.out = self.dir
        side_args.workloads = []  # a workload is a compat cell's: faults/ collects none (and would refuse one)
        part = next(p for p in paths if Path(p).name == BESIDE)
        self.argv = forward(side_args, [part], "run") + ["-p", "parity.cli.side"]
        return [p for p in paths if p != part]

    # ---- the main run's hooks -------------------------------------------------------------------------------------

    def pytest_sessionstart(self, session) -> None:
        if self.argv is None or self.dir is None:
            return
        shutil.rmtree(self.dir, ignore_errors=True)  # an earlier, interrupted run's leftovers
        self.dir.mkdir(parents=True)
        env = {**os.environ, ENV: str(self.dir / "compat-ended")}
        with open(self.dir / "console.txt", "wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "pytest", *self.argv], stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT, env=env, cwd=os.getcwd(),
                                         start_new_session=True)  # Ctrl-C reaches it through stop(), in order
        self.started = time.monotonic()
        _line(session.config, f"parity: {BESIDE} started beside {ALONGSIDE} (its console: {self.dir / 'console.txt'})")

    @pytest.hookimpl(tryfirst=True)  # before the console starts the next part's clock
    def pytest_runtest_logstart(self, nodeid, location) -> None:
        from parity.console import part_of

        part = part_of(nodeid)
        if part is not None and part != ALONGSIDE:
            self._compat_ended()
            self.join(self._config)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session):
        self._config = session.config
        try:
            return (yield)
        finally:
            self._compat_ended()
            if session.shouldfail or session.shouldstop or _interrupted():
                self.stop()
            self.join(session.config)

    def _unwinding(self) -> None:
        """Ctrl-C: the run is stopping; the repeated signal (parity.interrupt) must not cut stopping the part beside."""
        from parity import interrupt

        if interrupt.requested():
            interrupt.unwinding()

    def pytest_configure(self, config) -> None:
        self._config = config

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session, exitstatus) -> None:
        """A run that never reached its test loop (a collection error, Ctrl-C): nothing left running beside."""
        self.stop()
        if self.proc is not None and not self.joined:
            self.join(session.config)

    def _compat_ended(self) -> None:
        if self.dir is not None and self.proc is not None and self.dir.exists():
            (self.dir / "compat-ended").touch()

    def stop(self) -> None:
        """Ctrl-C (or the main run stopping): SIGINT to the process beside, then SIGKILL if it lingers."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self._unwinding()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(timeout=STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def join(self, config) -> None:
        """Wait for the process beside, then fold its rows and failures into this run (once)."""
        if self.joined or self.proc is None or self.dir is None:
            return
        if self.proc.poll() is None:
            _line(config, f"parity: waiting for {BESIDE} (running beside {ALONGSIDE}) before the next part")
        try:
            code = self.proc.wait()
        except KeyboardInterrupt:  # Ctrl-C while waiting: stop it, keep what it saved, and stop this run too
            self.stop()
            self._fold(config, self.proc.wait())
            raise
        self._fold(config, code)

    def _fold(self, config, code: int) -> None:
        assert self.dir is not None
        self.joined = True
        seconds = time.monotonic() - self.started
        from parity.plugin import get_session

        ps = get_session(config)
        console = config.pluginmanager.get_plugin("parity-console")
        joined = fold(ps.doc, self.dir, code, seconds)
        if console is not None:
            console.beside(BESIDE, joined)
        log = self.dir / "console.txt"
        if joined["kept_console"] and ps.options.out is not None and log.exists():
            shutil.copy(log, ps.options.out / f"{BESIDE}-console.txt")
        if config.getoption("verbose", 0) > 0 and log.exists():  # -v: its pytest output, as a sequential run shows it
            _line(config, log.read_text(encoding="utf-8", errors="replace").rstrip())
        shutil.rmtree(self.dir, ignore_errors=True)


def fold(doc: dict[str, Any], side_dir: Path, code: int, seconds: float) -> dict[str, Any]:
    """The part's rows (its sections and findings) appended to doc; what the console says about it."""
    from parity import sections

    path = side_dir / "results.json"
    side = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    run = (side or {}).get("run") or {}
    if side is not None:
        for name in sections.parts().get(BESIDE, ()) + ("findings",):
            doc.setdefault(name, []).extend(r for r in side.get(name) or [] if isinstance(r, dict))
    failures = side_dir / "failures.txt"
    part = (run.get("parts") or {}).get(BESIDE, {})
    broken = side is None or code not in (0, 1, 5)  # 1: some test failed (in failed_tests); 5: -k left none
    if broken:  # no document, or pytest could not run it: the run is incomplete, and says why
        doc.setdefault("run", {}).setdefault("incomplete", []).append(
            f"the {BESIDE} part beside {ALONGSIDE} did not complete (pytest exit {code}); see {BESIDE}-console.txt")
    if run.get("interrupted"):
        doc.setdefault("run", {})["interrupted"] = True
    if run.get("not_run_tests"):  # the part's studies that did not run, with why, join the run's
        doc.setdefault("run", {}).setdefault("not_run_tests", []).extend(run["not_run_tests"])
    return {"seconds": round(seconds, 1), "tests": int(part.get("tests", 0)), "failed": list(run.get("failed_tests") or []),
            "failures_text": failures.read_text(encoding="utf-8") if failures.exists() else "",
            "waited_s": _waited(side_dir), "exit": code, "kept_console": broken}


def _waited(side_dir: Path) -> float:
    try:
        return float((side_dir / "waited").read_text())
    except (OSError, ValueError):
        return 0.0


def _interrupted() -> bool:
    from parity import interrupt

    return interrupt.requested()


def _line(config, text: str) -> None:
    tr = config.pluginmanager.get_plugin("terminalreporter")
    if tr is not None:
        tr.ensure_newline()
        if getattr(tr._tw, "width_of_current_line", 0):  # after -q's progress dots (as parity.console's lines)
            tr._tw.line()
        tr.write_line(text)


# ---- the hooks of the process beside (registered there with -p parity.cli.side) ---------------------------------


_WAITED = [0.0]


def pytest_runtest_setup(item) -> None:
    """A timed study starts only once compat has ended (or the main run is gone: then nothing is left to wait for)."""
    flag = os.environ.get(ENV)
    if not flag or item.get_closest_marker(TIMED) is None:
        return
    parent, t0 = os.getppid(), time.monotonic()
    while not os.path.exists(flag) and os.getppid() == parent:
        time.sleep(0.2)
    _WAITED[0] += time.monotonic() - t0
    with contextlib.suppress(OSError):
        Path(flag).with_name("waited").write_text(f"{_WAITED[0]:.1f}")
