"""Provider choice and the Testcontainers path, checked without a Docker engine (none runs here)."""

from __future__ import annotations

import pytest

from parity.errors import ParityUsageError
from parity.servers import containers
from parity.servers.endpoint import mask_url
from parity.servers.pool import ServerConfig, ServerPool, Unavailable


def test_redis_container_is_redis_8_with_modules_and_waits_for_ready():
    spec = containers.redis_spec({"appendonly": "yes"})
    assert spec.image.startswith("redis:8"), "Redis 8 images bundle RedisJSON and RediSearch; older ones do not"
    assert spec.command[0] == "redis-server" and ("--appendonly", "yes") == spec.command[-2:]
    assert spec.port == 6379 and "Ready to accept connections" in spec.ready_log
    assert spec.url("localhost", 32768) == "redis://localhost:32768/0"


def test_postgres_container_waits_for_the_second_ready_line():
    spec = containers.postgres_spec({"synchronous_commit": "off"})
    assert spec.image.startswith("postgres:18")
    assert spec.ready_times == 2, "the image's init server prints 'ready' once before the real server starts"
    assert "-c" in spec.command and "synchronous_commit=off" in spec.command
    assert spec.env["POSTGRES_PASSWORD"] and spec.url("h", 1).startswith("postgresql://postgres:")


def test_build_passes_image_command_env_and_wait_strategy(monkeypatch):
    calls = {}

    class FakeContainer:
        def __init__(self, image):
            calls["image"] = image
        def with_exposed_ports(self, *ports):
            calls["ports"] = ports; return self
        def with_command(self, command):
            calls["command"] = command; return self
        def with_env(self, key, value):
            calls.setdefault("env", {})[key] = value; return self
        def waiting_for(self, strategy):
            calls["wait"] = strategy; return self

    import testcontainers.core.container as tc
    monkeypatch.setattr(tc, "DockerContainer", FakeContainer)
    containers.build(containers.postgres_spec())
    assert calls["image"] == "postgres:18" and calls["ports"] == (5432,)
    assert calls["env"]["POSTGRES_USER"] == "postgres"
    wait = calls["wait"]
    assert type(wait).__name__ == "LogMessageWaitStrategy" and wait._times == 2
    assert wait._startup_timeout == containers.STARTUP_TIMEOUT_S


def test_auto_picks_embedded_without_docker_and_testcontainers_with(monkeypatch):
    monkeypatch.setattr(containers, "docker_available", lambda timeout=2.0: False)
    assert ServerPool(ServerConfig("auto")).provider == "embedded"
    monkeypatch.setattr(containers, "docker_available", lambda timeout=2.0: True)
    assert ServerPool(ServerConfig("auto")).provider == "testcontainers"


def test_no_docker_engine_here_is_detected():
    # The docker client exists on this machine but no daemon: auto must not pick Testcontainers.
    assert containers.docker_available(timeout=1.0) is False


def test_provider_resolution_precedence():
    env = {"PARITY_PROVIDER": "external", "REDIS_URL": "redis://r:1/0", "POSTGRES_URL": "postgresql://p/db"}
    cfg = ServerConfig.resolve(None, None, None, env)
    assert cfg.provider == "external" and cfg.urls == {"redis": "redis://r:1/0", "postgres": "postgresql://p/db"}
    cfg = ServerConfig.resolve("embedded", "redis://mine:2/0", None, env)
    assert cfg.provider == "embedded" and cfg.urls == {"redis": "redis://mine:2/0"}, "flags beat env; env URLs only for external"
    with pytest.raises(ParityUsageError, match="unknown provider 'nope'"):
        ServerConfig.resolve("nope", None, None, {})


def test_external_without_a_url_makes_that_family_unavailable():
    pool = ServerPool(ServerConfig("external", {"redis": "redis://127.0.0.1:1/0"}))
    with pytest.raises(Unavailable, match="POSTGRES_URL"):
        pool.get("postgres")
    ep = pool.get("redis")
    assert ep.owned is False and ep.provider == "external"


def test_passwords_are_masked():
    assert mask_url("redis://:s3cret@host:6379/0") == "redis://:***@host:6379/0"
    assert mask_url("postgresql://bob:pw@db:5432/x") == "postgresql://bob:***@db:5432/x"
    assert mask_url("redis://host:6379/0") == "redis://host:6379/0"


def test_external_with_no_url_at_all_is_one_line():
    with pytest.raises(ParityUsageError, match="--provider external needs the URL of at least one server"):
        ServerConfig.resolve("external", None, None, env={})


@pytest.mark.parametrize("provider, kw", [("embedded", {"redis_url": "notaurl"}),
                                          ("external", {"postgres_url": "mysql://u@h/db"})])
def test_a_malformed_url_is_one_line_before_anything_starts(provider, kw):
    with pytest.raises(ParityUsageError, match="malformed URL"):
        ServerConfig.resolve(provider, kw.get("redis_url"), kw.get("postgres_url"), env={})


def test_repeat_below_one_is_refused(monkeypatch):
    from types import SimpleNamespace

    from parity.options import Options

    values = {"parity_repeat": 0}
    config = SimpleNamespace(getoption=lambda name: values.get(name))
    with pytest.raises(ParityUsageError, match="--repeat 0"):
        Options.from_pytest(config)
    values["parity_repeat"] = None
    monkeypatch.setenv("PARITY_REPEAT", "many")
    with pytest.raises(ParityUsageError, match="PARITY_REPEAT='many'"):
        Options.from_pytest(config)
