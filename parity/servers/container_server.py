"""A server in a container: started by Testcontainers, ready when it answers a query, controlled by engine levers."""

from __future__ import annotations

import os
from typing import Any, Callable

from parity import families
from parity.servers import containers
from parity.servers.containers import ContainerOptions, ContainerStartError, ContainerSpec
from parity.servers.endpoint import Endpoint
from parity.servers.readiness import ServerStartError, free_port, wait_until

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
READY_CALL_TIMEOUT_S = 2.0  # one readiness attempt; between attempts the container's state is checked


def _ready_check(spec: ContainerSpec, url: str) -> tuple[Callable[[], object], tuple[type[BaseException], ...]]:
    """A query the server must answer on a new connection (PING, SELECT 1), and the errors to wait through.

    Never a log line: the Postgres image logs "ready" once for its init server before the real start.
    """
    family = families.get(spec.family)

    def ping() -> None:
        with family.sync_ping(url, timeout=READY_CALL_TIMEOUT_S) as call:
            call()

    return ping, family.transient_errors()


def start_ryuk_with_prefix() -> None:
    """Start Testcontainers' Ryuk when TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX is set, around a bug of 4.15.

    There, Ryuk's own container gets the prefix, so its start() sees an image other than ryuk_image and asks
    for Ryuk again: RecursionError before anything runs. Creating Ryuk with the prefix moved into its image
    name (and back after) gives the same prefixed image without the loop.
    """
    from testcontainers.core.config import testcontainers_config as tc
    from testcontainers.core.container import Reaper

    prefix = tc.hub_image_name_prefix
    if not prefix or Reaper._instance is not None:
        return
    image = tc.ryuk_image
    tc.hub_image_name_prefix, tc.ryuk_image = "", prefix + image
    try:
        Reaper.get_instance()
    finally:
        tc.hub_image_name_prefix, tc.ryuk_image = prefix, image


class ContainerServer:
    """Same control surface as the embedded servers: start/stop/kill/restart/close, plus pause for stalls.

    Each lever is the engine's own (docker stop / kill / pause / start); `levers` records which ran, so a
    fault result can say how the fault was made.
    """

    LEVERS = {"kill": "docker kill", "stop": "docker stop", "start": "docker start (same container, same data)",
              "stall": "docker pause"}

    def __init__(self, family: str, options: ContainerOptions, settings: dict[str, Any] | None = None,
                 on_create: Callable[[str], None] = lambda container_id: None) -> None:
        self.family = family
        self.options = options
        self.settings: dict[str, Any] = dict(settings or {})
        self.on_create = on_create
        self.spec = containers.spec_for(family, options, self.settings)
        self.container = None
        self.port = 0
        self.host = "127.0.0.1"
        self.dir = None  # data lives in the container's own layer
        self.levers: list[str] = []

    @property
    def url(self) -> str:
        return self.spec.url(self.host, self.port)

    @property
    def container_id(self) -> str | None:
        return self.container._container.id if self.container is not None and self.container._container else None

    def _build(self):
        from testcontainers.core.config import testcontainers_config
        from testcontainers.core.container import DockerContainer

        if not self.options.ryuk()[0]:
            testcontainers_config.ryuk_disabled = True  # host networking: Ryuk cannot work (see ryuk())
        else:
            start_ryuk_with_prefix()
        container = DockerContainer(self.spec.image).with_command(list(self.spec.command))
        for key, value in self.spec.env.items():
            container = container.with_env(key, value)
        labels = {containers.RUN_LABEL: str(os.getpid())}
        if self.options.network == "host":
            return container.with_kwargs(network="host", labels=labels)
        local = container.get_docker_client().host() in LOCAL_HOSTS
        self.port = free_port()
        # A fixed host port (not a random one) so a restarted container keeps its URL; loopback only when the
        # engine is local, so nothing is exposed beyond this machine.
        container.ports[f"{self.spec.port}/tcp"] = ("127.0.0.1", self.port) if local else self.port
        self.host = "127.0.0.1" if local else container.get_container_host_ip()
        return container.with_kwargs(labels=labels)

    def start(self) -> "ContainerServer":
        if self.container is not None:  # a stopped or killed container: the engine starts it again, data kept
            self.container._container.start()
            self.levers.append("docker start")
        else:
            self._create()
        self._wait()
        return self

    def _create(self) -> None:
        if self.options.network == "host":
            self.port = self.spec.port
        container = self._build()
        self.container = container
        try:
            container.start()
        except Exception as exc:  # noqa: BLE001 - engine refusals (port taken, bad image) become one line
            raise self._failed(f"the engine refused to start it: {containers._first(exc)}") from None
        finally:
            if self.container_id:
                self.on_create(self.container_id)

    def _wait(self) -> None:
        check, transient = _ready_check(self.spec, self.url)
        try:
            wait_until(check, timeout=containers.STARTUP_TIMEOUT_S, transient=transient, alive=self.alive,
                       what=f"{self.family} container ({self.spec.image})", log_tail=self.log_tail)
        except ServerStartError as exc:
            raise self._failed(str(exc)) from None

    def _failed(self, why: str) -> ContainerStartError:
        image = self.options.image(self.family)
        self.close()  # a half-started container must not outlive the failure
        return ContainerStartError(f"{self.family} container from {image} did not start: {why[:400]}",
                                   "see the log above; a port taken or a bad image setting are the usual causes; "
                                   "or use --provider embedded")

    def _state(self) -> dict[str, Any]:
        self.container._container.reload()
        return self.container._container.attrs.get("State", {})

    def alive(self) -> bool:
        try:
            return self.container is not None and bool(self._state().get("Running"))
        except Exception:  # noqa: BLE001 - a container the engine no longer knows is not alive
            return False

    def log_tail(self, lines: int = 8) -> str:
        try:
            text = self.container._container.logs(tail=lines).decode(errors="replace")
            return " | ".join(text.splitlines())
        except Exception:  # noqa: BLE001
            return "(no log)"

    def kill(self) -> None:
        """docker kill (SIGKILL to the server); the container and its data stay for a start."""
        if self.alive():
            self.container._container.kill()
            self.container._container.wait(timeout=30)
        self.levers.append("docker kill")

    def stop(self, timeout: float = 10.0) -> None:
        """docker stop: SIGTERM (the image's stop signal), SIGKILL after timeout."""
        if self.alive():
            self.container._container.stop(timeout=int(timeout))
        self.levers.append("docker stop")

    def pause(self) -> None:
        """docker pause: the server freezes (cgroup freezer) with its sockets open, a stall without a proxy."""
        self.container._container.pause()
        self.levers.append("docker pause")

    def unpause(self) -> None:
        self.container._container.unpause()
        self.levers.append("docker unpause")

    def restart(self, settings: dict[str, Any] | None = None, *, hard: bool = False) -> None:
        """Same data, new settings: a container's command is fixed, so new settings mean a new container."""
        if settings is not None and dict(settings) != self.settings:
            raise ServerStartError("a container's settings are fixed at creation: start a new server instead")
        self.kill() if hard else self.stop()
        self.start()

    def close(self) -> None:
        if self.container is not None:
            try:
                self.container.stop()  # docker rm -f, volumes too
            finally:
                self.container = None

    def server_pid(self) -> int | None:
        """The server's process id as this machine sees it (a local engine shares the kernel), for the CPU
        figures and placement the bench reads from /proc; None for a remote engine."""
        if self.host not in LOCAL_HOSTS or not self.alive():
            return None
        return int(self._state().get("Pid") or 0) or None

    def endpoint(self) -> Endpoint:
        return Endpoint(self.family, self.url, "testcontainers", owned=True, settings=dict(self.settings),
                        pid=self.server_pid(), control=self, probe=None)
