"""Provider choice and the Testcontainers path, checked without a Docker engine (none runs here)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from parity.errors import ParityUsageError
from parity import families
from parity.servers import containers
from parity.servers.endpoint import mask_url
from parity.servers.pool import ServerConfig, ServerPool, Unavailable


def test_redis_container_is_redis_8_with_modules():
    spec = families.get("redis").container_spec({"appendonly": "yes"})
    assert spec.image.startswith("redis:8"), "Redis 8 images bundle RedisJSON and RediSearch; older ones do not"
    assert spec.command[0] == "redis-server" and ("--appendonly", "yes") == spec.command[-2:]
    assert spec.port == 6379
    assert spec.url("localhost", 32768) == "redis://localhost:32768/0"


def test_postgres_container_spec():
    spec = families.get("postgres").container_spec({"synchronous_commit": "off"})
    assert spec.image.startswith("postgres:18")
    assert "-c" in spec.command and "synchronous_commit=off" in spec.command
    assert spec.env["POSTGRES_PASSWORD"] and spec.url("h", 1).startswith("postgresql://postgres:")


def test_host_network_specs_listen_on_their_own_loopback_port():
    r = families.get("redis").container_spec(None, host_port=40001)
    assert r.port == 40001 and ("--port", "40001", "--bind", "127.0.0.1") == r.command[3:7]
    p = families.get("postgres").container_spec({"fsync": "off"}, host_port=40002)
    assert p.port == 40002 and p.command[:5] == ("postgres", "-p", "40002", "-c", "listen_addresses=127.0.0.1")
    assert p.command[-2:] == ("-c", "fsync=off")


def test_container_options_precedence_and_bad_network():
    env = {"PARITY_CONTAINER_NETWORK": "host", "PARITY_REDIS_IMAGE": "mine/redis:8"}
    opts = containers.ContainerOptions.resolve(None, None, env)
    assert opts.network == "host" and opts.images == {"redis": "mine/redis:8", "postgres": "postgres:18"}
    opts = containers.ContainerOptions.resolve("bridge", {"redis": "flag/redis:8", "postgres": None}, env)
    assert opts.network == "bridge" and opts.images["redis"] == "flag/redis:8", "the option beats the env var"
    with pytest.raises(ParityUsageError, match="unknown container network 'overlay'"):
        containers.ContainerOptions.resolve("overlay", None, {})
    cfg = ServerConfig.from_args(SimpleNamespace(provider=None, redis_url=None, postgres_url=None,
                                                 container_network=None, images=["redis=flag/redis:8"]))
    assert cfg.containers.images["redis"] == "flag/redis:8"
    with pytest.raises(ParityUsageError, match="--image 'mysql=m:8' is not FAMILY=IMAGE"):
        containers.parse_images(["mysql=m:8"])


def test_host_networking_turns_ryuk_off_and_says_why():
    on, why = containers.ContainerOptions(network="host").ryuk()
    assert on is False and "host networking" in why and "reaper" in why


def test_auto_picks_testcontainers_only_where_it_will_work(monkeypatch):
    monkeypatch.setattr(containers, "problem", lambda options, pull: "image redis:8.2 is not on this engine")
    pool = ServerPool(ServerConfig("auto"))
    assert pool.provider == "embedded" and "auto picked embedded servers: image redis:8.2" in pool.provider_reason
    monkeypatch.setattr(containers, "problem", lambda options, pull: None)
    pool = ServerPool(ServerConfig("auto"))
    assert pool.provider == "testcontainers" and pool.provider_reason.startswith("auto picked Testcontainers")


def test_explicit_testcontainers_without_an_engine_is_one_line(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/parity-docker.sock")
    with pytest.raises(ParityUsageError, match="no Docker engine answers at unix:///nonexistent") as err:
        ServerPool(ServerConfig("testcontainers")).preflight()
    assert "--provider embedded" in err.value.fix
    # the operating system's words, not docker-py's wrapping of requests' wrapping of urllib3's
    assert str(err.value).split("parity-docker.sock: ", 1)[1].startswith("No such file or directory"), err.value
    assert "Error while fetching" not in str(err.value)


def test_no_docker_engine_is_detected(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/parity-docker.sock")
    assert containers.docker_available(timeout=1.0) is False


def test_provider_resolution_precedence():
    env = {"PARITY_PROVIDER": "external", "REDIS_URL": "redis://r:1/0", "POSTGRES_URL": "postgresql://p/db"}
    cfg = ServerConfig.resolve(None, None, env)
    assert cfg.provider == "external" and cfg.urls == {"redis": "redis://r:1/0", "postgres": "postgresql://p/db"}
    cfg = ServerConfig.resolve("embedded", {"redis": "redis://mine:2/0"}, env)
    assert cfg.provider == "embedded" and cfg.urls == {"redis": "redis://mine:2/0"}, "flags beat env; env URLs only for external"
    with pytest.raises(ParityUsageError, match="unknown provider 'nope'"):
        ServerConfig.resolve("nope", None, {})


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
        ServerConfig.resolve("external", None, env={})


@pytest.mark.parametrize("provider, kw", [("embedded", {"redis": "notaurl"}),
                                          ("external", {"postgres": "mysql://u@h/db"})])
def test_a_malformed_url_is_one_line_before_anything_starts(provider, kw):
    with pytest.raises(ParityUsageError, match="malformed URL"):
        ServerConfig.resolve(provider, kw, env={})


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


def test_provider_parity_flags_every_difference_outside_the_flaky_set():
    from parity import provider_parity as pp

    def doc(statuses, verdict="confirmed"):
        return {"cells": [{"id": k, "status": v} for k, v in statuses.items()],
                "claims": [{"id": "C12", "verdict": verdict}, {"id": "C1", "verdict": verdict},
                           {"id": "C2", "verdict": "confirmed" if verdict == "confirmed" else "not-testable-here"}]}

    a = doc({"compat/x.py::t[postgres-sync]": "passed", "compat/x.py::t[redis-sync]": "passed",
             "compat/x.py::u[redis-sync]": "passed", "compat/x.py::v[redis-async-selector]": "passed"})
    b = doc({"compat/x.py::t[postgres-sync]": "known-divergence", "compat/x.py::t[redis-sync]": "diverged",
             "compat/x.py::u[redis-sync]": "failed", "compat/x.py::v[redis-async-selector]": "diverged"}, "refuted")
    hard = {d["key"] for d in pp.differences(a, b) if not d["flaky"]}
    assert hard == {"compat/x.py::u[redis-sync]", "compat/x.py::v[redis-async-selector]", "claim:C12",
                    "claim:C2"}, \
        "a failure, a divergence outside the sync Redis race, a behavioural verdict and a claim that stopped being " \
        "tested are never noise (C1's timing verdict may move)"


def test_provider_parity_lets_a_generated_cell_find_another_divergence_but_not_pass():
    from parity import provider_parity as pp

    cell = "compat/test_generated.py::test_generated_values[redis-shallow-sync]"
    assert pp.flaky_reason(cell, "known-divergence", "diverged"), "both runs found the saver differing"
    assert pp.flaky_reason(cell, "passed", "diverged") is None, "one run found nothing: hard"
    assert pp.flaky_reason(cell, "diverged", "failed") is None
    assert pp.flaky_reason("compat/test_smoke.py::t[redis-shallow-sync]", "known-divergence", "diverged") is None


def test_provider_parity_lets_a_by_chance_breach_flip_only_its_own_cells():
    """A pending-writes-order breach shows when random task ids sort against the paths: the cell carrying it may
    flip between passed and diverged; a cell without it may not, and a failure never."""
    from parity import provider_parity as pp

    cells = ["compat/x.py::t[redis-async-selector]", "compat/x.py::u[redis-async-selector]",
             "compat/x.py::v[redis-async-selector]"]
    order = {"id": "f1", "contract": {"kind": "promise", "name": "pending_writes_order", "call": "get_tuple"}}
    other = {"id": "f2", "contract": {"kind": "promise", "name": "list_limit", "call": "list"}}
    a = {"cells": [{"id": c, "status": "passed"} for c in cells], "claims": [], "findings": []}
    b = {"cells": [{"id": cells[0], "status": "diverged", "finding_ids": ["f1"]},
                   {"id": cells[1], "status": "diverged", "finding_ids": ["f2"]},
                   {"id": cells[2], "status": "failed", "finding_ids": ["f1"]}],
         "claims": [], "findings": [order, other]}
    flaky = {d["key"]: d["flaky"] for d in pp.differences(a, b)}
    assert flaky[cells[0]] and "random task ids" in flaky[cells[0]], flaky
    assert flaky[cells[1]] is None and flaky[cells[2]] is None, flaky


def test_ryuk_starts_under_an_image_prefix_without_recursing(monkeypatch):
    # testcontainers 4.15: with TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX set, Ryuk's own start asks for Ryuk again
    # (RecursionError, seen on a real engine here). The suite creates Ryuk with the prefix in its image name.
    from testcontainers.core.config import testcontainers_config as tc
    from testcontainers.core.container import Reaper

    from parity.servers.container_server import start_ryuk_with_prefix

    seen = {}
    monkeypatch.setattr(tc, "hub_image_name_prefix", "mirror.local/")
    monkeypatch.setattr(Reaper, "_instance", None)
    monkeypatch.setattr(Reaper, "get_instance", classmethod(
        lambda cls: seen.update(prefix=tc.hub_image_name_prefix, image=tc.ryuk_image)))
    start_ryuk_with_prefix()
    assert seen == {"prefix": "", "image": "mirror.local/testcontainers/ryuk:0.8.1"}
    assert tc.hub_image_name_prefix == "mirror.local/" and tc.ryuk_image == "testcontainers/ryuk:0.8.1"


def test_bridge_mode_maps_a_fixed_loopback_port_and_host_mode_uses_the_host_network(monkeypatch):
    # No bridge network may exist on this machine: the bridge arguments are checked against a stand-in.
    import testcontainers.core.container as tc_container

    from parity.servers.container_server import ContainerServer

    made = []

    class FakeContainer:
        def __init__(self, image):
            self.image, self.ports, self.env, self.kwargs = image, {}, {}, {}
            made.append(self)

        def with_command(self, command):
            self.command = command
            return self

        def with_env(self, key, value):
            self.env[key] = value
            return self

        def with_kwargs(self, **kw):
            self.kwargs = kw
            return self

        def get_docker_client(self):
            return SimpleNamespace(host=lambda: "localhost")

    monkeypatch.setattr(tc_container, "DockerContainer", FakeContainer)
    monkeypatch.setattr(containers, "free_port", lambda: 45001)
    bridge = ContainerServer("postgres", containers.ContainerOptions(network="bridge"))
    monkeypatch.setattr("parity.servers.container_server.start_ryuk_with_prefix", lambda: None)
    c = bridge._build()
    assert c.image == "postgres:18" and c.command == ["postgres"] and "network" not in c.kwargs
    assert list(c.ports.items()) == [("5432/tcp", ("127.0.0.1", bridge.port))], "bound to loopback, fixed port"
    assert bridge.url.startswith(f"postgresql://postgres:parity@127.0.0.1:{bridge.port}/")
    host = ContainerServer("redis", containers.ContainerOptions(network="host"))
    host.port = host.spec.port
    c = host._build()
    assert c.kwargs["network"] == "host" and not c.ports and host.url == "redis://127.0.0.1:45001/0"
    assert c.command[3:7] == ["--port", "45001", "--bind", "127.0.0.1"]


def test_every_figure_row_names_its_provider():
    from parity.options import Options
    from parity.session import ParitySession

    session = ParitySession(Options(backends=["memory"], provider="embedded"))
    try:
        session.add("measurements", {"backend": "memory", "family": None, "p50_ms": 0.01})
        session.add("ratios", {"numerator": "postgres", "denominator": "redis", "provider": "given"})
        session.add("cells", {"id": "x"})
        rows = session.doc
        assert rows["measurements"][0]["provider"] == "embedded"
        assert rows["ratios"][0]["provider"] == "given", "a row that says its provider keeps it"
        assert "provider" not in rows["cells"][0], "only timing sections carry it"
    finally:
        session.close()
