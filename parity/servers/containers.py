"""Testcontainers provider: each family's image (Family.container_spec), on bridge or host networking."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Mapping

from parity.errors import ParityUsageError
from parity.servers.readiness import ServerStartError, free_port

STARTUP_TIMEOUT_S = 60.0  # connect-and-query until ready; images are pulled before this clock starts
ENGINE_TIMEOUT_S = 3.0  # an engine that does not answer a ping in this long is "not answering"
PULL_CHECK_TIMEOUT_S = 10.0  # asking a registry whether an image exists (no download)
NETWORKS = ("bridge", "host")
NETWORK_ENV = "PARITY_CONTAINER_NETWORK"
RUN_LABEL = "org.checkpoint-parity.run"  # on every container the suite starts: CI cleanup finds them by it


def _families() -> tuple[str, ...]:
    from parity import families

    return families.names()


def default_image(family: str) -> str:
    from parity import families

    return families.get(family).container_image


def image_env(family: str) -> str:
    return f"PARITY_{family.upper()}_IMAGE"


def parse_images(values: list[str]) -> dict[str, str]:
    """--image FAMILY=IMAGE (repeatable) as {family: image}; one line for anything else."""
    out = {}
    for value in values:
        family, sep, image = value.partition("=")
        if not sep or not image.strip() or family.strip() not in _families():
            raise ParityUsageError(f"--image {value!r} is not FAMILY=IMAGE for a known family",
                                   f"write it like --image {_families()[0]}={default_image(_families()[0])} "
                                   f"(families: {', '.join(_families())})")
        out[family.strip()] = image.strip()
    return out


@dataclass(frozen=True)
class ContainerOptions:
    """How containers are run: network mode and image per family (option > env > official image)."""

    network: str = "bridge"
    images: Mapping[str, str] = field(default_factory=lambda: {f: default_image(f) for f in _families()})

    @classmethod
    def resolve(cls, network: str | None = None, images: Mapping[str, str | None] | None = None,
                env: Mapping[str, str] | None = None) -> "ContainerOptions":
        env = os.environ if env is None else env
        chosen = (network or env.get(NETWORK_ENV) or "bridge").strip().lower()
        if chosen not in NETWORKS:
            raise ParityUsageError(f"unknown container network {chosen!r}",
                                   f"use --container-network bridge or host (or {NETWORK_ENV})")
        given = images or {}
        resolved = {f: given.get(f) or env.get(image_env(f)) or default_image(f) for f in _families()}
        return cls(chosen, resolved)

    def image(self, family: str) -> str:
        """The name the engine sees: Testcontainers puts TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX in front."""
        from testcontainers.core.config import testcontainers_config

        return testcontainers_config.hub_image_name_prefix + self.images[family]

    def ryuk(self) -> tuple[bool, str]:
        """(Ryuk on?, why). Testcontainers' Ryuk needs a mapped port, which host networking does not give."""
        from testcontainers.core.config import testcontainers_config as tc

        if self.network == "host":
            return False, ("Ryuk off: under host networking its port cannot be mapped; the suite's own reaper "
                           "removes the containers (on exit, Ctrl-C and if the suite is killed)")
        if tc.ryuk_disabled:
            return False, "Ryuk off (TESTCONTAINERS_RYUK_DISABLED); the suite's own reaper removes the containers"
        return True, f"Ryuk on ({tc.ryuk_image})"

    def describe(self) -> dict[str, Any]:
        return {"network": self.network, "images": {f: self.image(f) for f in self.images}, "ryuk": self.ryuk()[1]}


@dataclass(frozen=True)
class ContainerSpec:
    """Everything about a container except starting it, so it can be checked on hosts without Docker."""

    family: str
    image: str
    port: int  # the port the server listens on inside the container (bridge) or on the host (host network)
    command: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    url_template: str = ""

    def url(self, host: str, port: int) -> str:
        return self.url_template.format(host=host, port=port)


def spec_for(family: str, options: ContainerOptions, settings: dict[str, Any] | None = None) -> ContainerSpec:
    from parity import families

    host_port = free_port() if options.network == "host" else None
    return families.get(family).container_spec(settings, image=options.images[family], host_port=host_port)


def _client(timeout: float = ENGINE_TIMEOUT_S):
    import docker

    return docker.from_env(timeout=timeout)


def engine_problem(timeout: float = ENGINE_TIMEOUT_S) -> str | None:
    """None when a Docker engine answers a ping, else why not (a client binary alone is not enough)."""
    try:
        client = _client(timeout)
        try:
            client.ping()
        finally:
            client.close()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure to reach an engine means "no engine"
        where = os.environ.get("DOCKER_HOST") or "the default socket (/var/run/docker.sock)"
        return f"no Docker engine answers at {where}: {_os_reason(exc) or _first(exc)}"


def docker_available(timeout: float = 2.0) -> bool:
    return engine_problem(timeout) is None


def image_problem(client, image: str, *, pull: bool) -> str | None:
    """None when the image is present, or (pull=True) pulled now, or (pull=False) the registry has it."""
    import docker

    try:
        client.images.get(image)
        return None
    except docker.errors.ImageNotFound:
        pass
    try:
        if pull:
            client.images.pull(image)
        else:
            client.images.get_registry_data(image)
        return None
    except Exception as exc:  # noqa: BLE001 - a registry that refuses, a DNS failure, a timeout: all "not pullable"
        return f"image {image} is not on this engine and cannot be pulled: {_first(exc)}"


def images_needed(options: ContainerOptions) -> list[str]:
    from testcontainers.core.config import testcontainers_config as tc

    needed = [options.image(f) for f in options.images]
    if options.ryuk()[0]:
        needed.append(tc.hub_image_name_prefix + tc.ryuk_image)  # Testcontainers prefixes Ryuk's image too
    return needed


def problem(options: ContainerOptions, *, pull: bool) -> str | None:
    """Why Testcontainers would not work here (engine, then every image incl. Ryuk's), or None."""
    why = engine_problem()
    if why:
        return why
    client = _client(PULL_CHECK_TIMEOUT_S if not pull else 600)
    try:
        if options.network == "bridge" and not client.networks.list(names=["bridge"]):
            return ("the Docker engine has no bridge network (started with --bridge=none?), so ports cannot be "
                    "mapped: use --container-network host")
        for image in images_needed(options):
            why = image_problem(client, image, pull=pull)
            if why:
                return why
    finally:
        client.close()
    return None


def choose_auto(options: ContainerOptions) -> tuple[str, str]:
    """(provider, one line saying why) for --provider auto: Testcontainers only where it will work."""
    why = problem(options, pull=False)
    if why:
        return "embedded", f"auto picked embedded servers: {why}"
    return "testcontainers", "auto picked Testcontainers: the engine answers and every image it needs is there"


def require(options: ContainerOptions) -> None:
    """For an explicit --provider testcontainers: a ParityUsageError naming the problem and its fix, in seconds."""
    why = problem(options, pull=True)
    if why is None:
        return
    if why.startswith("no Docker engine"):
        fix = "start Docker (or set DOCKER_HOST to its socket), or use --provider embedded"
    elif "bridge network" in why:
        fix = f"pass --container-network host or set {NETWORK_ENV}=host"
    else:
        fix = ("pull it where a registry is reachable, or point at a local image (--image FAMILY=IMAGE, "
               f"{' / '.join(image_env(f) for f in _families())}, TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX), set "
               "TESTCONTAINERS_RYUK_DISABLED=true if it is Ryuk's, or use --provider embedded")
    raise ParityUsageError(why, fix)


def _os_reason(exc: BaseException, depth: int = 0) -> str | None:
    """The operating system's words for the error at the bottom of a wrapped one ("No such file or directory",
    "Connection refused"), or None: docker-py wraps requests, which wraps urllib3, which carries the OSError in its
    args ("Error while fetching server API version: ('Connection aborted.', FileNotFoundError(2, ...))")."""
    if isinstance(exc, OSError) and exc.errno and exc.strerror:
        return exc.strerror
    if depth > 6:
        return None
    inner = [exc.__cause__, exc.__context__, *(a for a in exc.args if isinstance(a, BaseException))]
    return next((found for e in inner if e is not None and (found := _os_reason(e, depth + 1))), None)


def _first(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:240] or type(exc).__name__


class ContainerStartError(ParityUsageError, ServerStartError):
    """A container did not become a ready server (port taken, exited, timed out): one line, exit 2."""
