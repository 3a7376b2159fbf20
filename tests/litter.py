"""The litter guard of `make test` and CI's jobs: a command runs with a TMPDIR of its own, and what it leaves there
(a file, a folder, a process still running) when it ends turns the run red, by name.

    python -m tests.litter COMMAND [ARG...]

Other processes sharing /tmp do not matter: only this command's folder is looked at, and only processes whose
environment carries that folder as TMPDIR (the command and everything it started, detached ones included) are
counted as its own. A green run's folder is removed; a red one's stays for inspection, and the guard says where.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

# What other tools leave in TMPDIR by design: not ours to fix, and removed with the folder.
EXPECTED = {
    "pytest-of-*": "pytest's basetemp (tmp_path), kept by its own retention policy",
    "uv-*.lock": "uv's synchronisation locks, never removed by design (astral-sh/uv#14385)",
}
# After the command ends: a reaper (parity/servers/reaper.py) sees its owner gone within 0.3 s, kills the servers
# and removes their folder; a busy 2-core machine can take seconds for that.
GRACE_S = 15.0
EXIT_LITTER = 3  # the command passed, but left something behind


def leftovers(tmp: Path) -> list[Path]:
    return sorted(p for p in tmp.iterdir() if not any(fnmatch.fnmatch(p.name, pat) for pat in EXPECTED))


def processes(tmp: Path) -> list[psutil.Process]:
    """Every running process whose environment has TMPDIR=tmp: the command's own, however it was detached."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get("TMPDIR") == str(tmp) and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except (psutil.Error, OSError):  # gone meanwhile, or another user's: not ours
            continue
    return found


def describe(path: Path) -> str:
    if path.is_dir() and not path.is_symlink():
        inside = sorted(p.name for p in path.iterdir())
        return f"{path.name}/ ({len(inside)} entries{': ' + ', '.join(inside[:4]) if inside else ''})"
    return f"{path.name} ({path.lstat().st_size} bytes)"


def _command_line(proc: psutil.Process) -> str:
    try:
        return " ".join(proc.cmdline())[:160] or proc.name()
    except psutil.Error:
        return "?"


def settle(tmp: Path, grace: float) -> tuple[list[Path], list[psutil.Process]]:
    """What is still there once the command's reapers had their time (checked again until the grace runs out)."""
    deadline = time.monotonic() + grace
    while True:
        left, alive = leftovers(tmp), processes(tmp)
        if (not left and not alive) or time.monotonic() > deadline:
            return left, alive
        time.sleep(0.3)


def run(argv: list[str], grace: float = GRACE_S) -> int:
    base = Path(tempfile.mkdtemp(prefix="parity-t-"))  # short: Unix socket paths under it stay within 108 bytes
    os.chmod(base, 0o711)  # as root, embedded Postgres runs as a system user that must enter its data folder here
    interrupted = []
    # Ctrl-C reaches the whole foreground group: the command handles it (stops its servers); the guard waits for it
    # and still checks. A handler (not SIG_IGN) is reset in the child on exec.
    previous = signal.signal(signal.SIGINT, lambda *_: interrupted.append(True))
    try:
        code = subprocess.call(argv, env={**os.environ, "TMPDIR": str(base)})
    except OSError as exc:  # no such command
        shutil.rmtree(base, ignore_errors=True)
        print(f"litter: cannot run {argv[0]}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    finally:
        signal.signal(signal.SIGINT, previous)
    code = 128 - code if code < 0 else code  # killed by signal N: the shell's 128+N
    left, alive = settle(base, grace)
    for proc in alive:
        print(f"litter: still running after the command ended, stopped now: pid {proc.pid}: {_command_line(proc)}",
              file=sys.stderr)
        try:
            proc.kill()
        except psutil.Error:
            pass
    _, still = psutil.wait_procs(alive, timeout=10)  # a kill is delivered asynchronously: stopped means gone
    for proc in still:
        print(f"litter: pid {proc.pid} survived SIGKILL for 10 s", file=sys.stderr)
    for path in left:
        print(f"litter: left in its TMPDIR: {describe(path)}", file=sys.stderr)
    red = bool(left or alive) or (code != 0 and not interrupted)
    if red:
        print(f"litter: the folder stays for inspection (remove it when done): {base}", file=sys.stderr)
    else:
        shutil.rmtree(base, ignore_errors=True)
    if left or alive:
        print(f"litter: {len(left)} file(s) or folder(s) and {len(alive)} process(es) left behind by: "
              f"{' '.join(argv)[:200]}", file=sys.stderr)
        return code or EXIT_LITTER
    return code


def main() -> int:
    if len(sys.argv) < 2:
        print("usage: python -m tests.litter COMMAND [ARG...] (runs COMMAND with a TMPDIR of its own, then checks "
              "it left nothing there)", file=sys.stderr)
        return 2
    return run(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
