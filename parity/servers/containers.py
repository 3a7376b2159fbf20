"""Testcontainers provider: Redis 8 (JSON and search built in) and Postgres images, for hosts with a Docker engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from parity.servers.endpoint import Endpoint

STARTUP_TIMEOUT_S = 120  # first pulls of the images can be slow on CI runners


@dataclass(frozen=True)
class ContainerSpec:
    """Everything about a container except starting it, so it can be checked on hosts without Docker."""

    family: str
    image: str
    port: int
    command: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    ready_log: str = ""  # a regex the server prints once it accepts connections
    ready_times: int = 1
    url_template: str = ""

    def url(self, host: str, port: int) -> str:
        return self.url_template.format(host=host, port=port)


def redis_spec(settings: dict[str, Any] | None = None) -> ContainerSpec:
    # The official redis:8 image bundles RedisJSON and RediSearch (Redis Open Source 8.x).
    command = ["redis-server", "--protected-mode", "no"]
    for key, value in (settings or {}).items():
        command += [f"--{key}", str(value)]
    return ContainerSpec("redis", "redis:8.2", 6379, tuple(command), ready_log=r"Ready to accept connections",
                         url_template="redis://{host}:{port}/0")


def postgres_spec(settings: dict[str, Any] | None = None) -> ContainerSpec:
    command = ["postgres"] + [arg for k, v in (settings or {}).items() for arg in ("-c", f"{k}={v}")]
    # The entrypoint starts a temporary server for init first, so "ready" is printed twice.
    return ContainerSpec("postgres", "postgres:18", 5432, tuple(command),
                         env={"POSTGRES_PASSWORD": "parity", "POSTGRES_USER": "postgres", "POSTGRES_DB": "postgres"},
                         ready_log=r"database system is ready to accept connections", ready_times=2,
                         url_template="postgresql://postgres:parity@{host}:{port}/postgres")


def build(spec: ContainerSpec):
    """The testcontainers object for a spec (constructing it talks to the Docker engine)."""
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.wait_strategies import LogMessageWaitStrategy

    wait = LogMessageWaitStrategy(spec.ready_log, times=spec.ready_times).with_startup_timeout(STARTUP_TIMEOUT_S)
    container = DockerContainer(spec.image).with_exposed_ports(spec.port).with_command(list(spec.command))
    for key, value in spec.env.items():
        container = container.with_env(key, value)
    return container.waiting_for(wait)


def docker_available(timeout: float = 2.0) -> bool:
    """True when a Docker engine answers a ping (a client binary alone is not enough)."""
    try:
        import docker

        client = docker.from_env(timeout=timeout)
        ok = bool(client.ping())
        client.close()
        return ok
    except Exception:  # any failure to reach an engine means "no engine": auto then picks embedded
        return False


class ContainerServer:
    """A started container; same control surface as the embedded servers where Docker allows it."""

    def __init__(self, spec: ContainerSpec) -> None:
        self.spec = spec
        self.container = None

    def start(self) -> "ContainerServer":
        container = build(self.spec)
        try:
            container.start()
        except BaseException:
            container.stop()  # a half-started container must not outlive the failure
            raise
        self.container = container
        return self

    def endpoint(self) -> Endpoint:
        assert self.container is not None
        host = self.container.get_container_host_ip()
        url = self.spec.url(host, int(self.container.get_exposed_port(self.spec.port)))
        return Endpoint(self.spec.family, url, "testcontainers", owned=True, control=self)

    def close(self) -> None:
        if self.container is not None:
            self.container.stop()
            self.container = None
