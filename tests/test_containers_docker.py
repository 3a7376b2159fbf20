"""The Testcontainers provider on a real Docker engine (a private dockerd, no bridge: host networking only)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from parity.errors import ParityUsageError
from parity.servers import containers, standins
from parity.servers.container_server import ContainerServer
from parity.servers.pool import ServerConfig, ServerPool

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / ".ci" / "docker-engine.sh"
HOST = containers.ContainerOptions(network="host", images=standins.images())


def _why_no_engine() -> str | None:
    if sys.platform != "linux":
        return "a private dockerd needs Linux"
    if os.geteuid() != 0:
        return "starting a private dockerd needs root"
    if shutil.which("dockerd") is None or shutil.which("docker") is None:
        return "no dockerd here (as root with apt, `make test` installs Debian's docker.io first)"
    return None


@pytest.fixture(scope="module")
def engine():
    """DOCKER_HOST of a private engine with the stand-in images built (cached in its data root)."""
    why = _why_no_engine()
    if why:
        pytest.skip(f"not-applicable: {why}")
    tmp = tempfile.mkdtemp(prefix="parity-dk-")
    out = subprocess.run([str(ENGINE), "start", tmp], capture_output=True, text=True, timeout=720)
    if out.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        pytest.fail(f"private dockerd did not start: {out.stderr.strip()[-300:]}")
    saved = os.environ.get("DOCKER_HOST")
    os.environ["DOCKER_HOST"] = out.stdout.strip()
    try:
        import docker

        client = docker.from_env(timeout=120)
        standins.build_all(client)
        yield client
        client.close()
    finally:
        os.environ.pop("DOCKER_HOST") if saved is None else os.environ.__setitem__("DOCKER_HOST", saved)
        stop = subprocess.run([str(ENGINE), "stop", tmp], capture_output=True, text=True, timeout=120)
        assert stop.returncode == 0, f"engine did not stop cleanly: {stop.stderr}"


def _ours(client) -> list:
    return client.containers.list(all=True, filters={"label": containers.RUN_LABEL})


def _ping(url: str) -> bool:
    import redis

    try:
        with redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1) as c:
            return bool(c.ping())
    except (redis.ConnectionError, redis.TimeoutError):
        return False


def test_readiness_waits_for_a_query_not_for_the_ready_line(engine):
    image = standins.early_ready_image(engine, "redis")
    # First prove the image lies: its "ready" line comes while nothing listens yet.
    port = containers.free_port()
    raw = engine.containers.run(image, ["redis-server", "--port", str(port), "--bind", "127.0.0.1"],
                                network="host", detach=True, labels={containers.RUN_LABEL: "test"})
    try:
        deadline = time.monotonic() + 20
        while b"Ready to accept connections" not in raw.logs() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert b"Ready to accept connections" in raw.logs()
        assert not _ping(f"redis://127.0.0.1:{port}/0"), "the early image must not answer when it logs ready"
    finally:
        raw.remove(force=True)
    opts = containers.ContainerOptions(network="host", images={**standins.images(), "redis": image})
    server = ContainerServer("redis", opts).start()
    try:
        assert _ping(server.url), "start() returned before the server answered"
    finally:
        server.close()


def test_postgres_answers_queries_when_start_returns(engine):
    import psycopg

    server = ContainerServer("postgres", HOST, {"synchronous_commit": "off"}).start()
    try:
        with psycopg.connect(server.url, connect_timeout=2) as conn:  # no retry: ready means ready
            assert conn.execute("SHOW synchronous_commit").fetchone()[0] == "off"
        logs = server.container._container.logs().decode()
        assert logs.count("ready to accept connections") == 2, "the stand-in logs ready twice, as the official image"
    finally:
        server.close()
    assert not _ours(engine)


def test_levers_kill_start_pause_keep_data(engine):
    import redis

    server = ContainerServer("redis", HOST, {"appendonly": "yes", "appendfsync": "always"}).start()
    try:
        redis.Redis.from_url(server.url).set("k", "v")
        server.kill()
        assert not server.alive() and not _ping(server.url)
        server.start()
        assert redis.Redis.from_url(server.url).get("k") == b"v", "docker start keeps the container's data"
        server.pause()
        assert not _ping(server.url), "a paused server must not answer"
        server.unpause()
        assert _ping(server.url)
        assert server.levers == ["docker kill", "docker start", "docker pause", "docker unpause"]
    finally:
        server.close()


@pytest.mark.parametrize("family", ["redis", "postgres"])
def test_a_port_taken_is_one_line_and_no_container_is_left(engine, monkeypatch, family):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setattr(containers, "free_port", lambda: taken.getsockname()[1])
        started = time.monotonic()
        with pytest.raises(containers.ContainerStartError, match=f"{family} container from .* did not start") as err:
            ContainerServer(family, HOST).start()
    assert time.monotonic() - started < 30, "a container that exits must be seen at once, not at the timeout"
    assert "exited during start-up" in err.value.what and "\n" not in err.value.line()
    assert not _ours(engine)


def test_a_missing_image_stops_the_run_in_seconds_with_one_line(engine):
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "parity.cli", "doctor", "--provider", "testcontainers",
                          "--container-network", "host", "--image", "redis=parity-local/absent:1"],
                         capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 2, out.stderr
    assert out.stderr.count("\n") == 1 and "image parity-local/absent:1 is not on this engine" in out.stderr
    assert "Traceback" not in out.stderr and time.monotonic() - started < 20
    assert not _ours(engine)


def test_auto_without_pullable_images_falls_back_to_embedded_and_says_why(engine, monkeypatch):
    monkeypatch.setenv("PARITY_REDIS_IMAGE", "parity-local/absent:1")
    pool = ServerPool(ServerConfig.resolve("auto", container_network="host"))
    assert pool.provider == "embedded"
    assert "parity-local/absent:1 is not on this engine and cannot be pulled" in pool.provider_reason
    with pytest.raises(ParityUsageError, match="no bridge network"):
        containers.require(containers.ContainerOptions(network="bridge", images=standins.images()))


def test_a_killed_suite_leaves_no_container(engine):
    code = ("import time; from parity.servers.pool import ServerPool, ServerConfig\n"
            "pool = ServerPool(ServerConfig.resolve('testcontainers', container_network='host',"
            f" images={standins.images()!r}))\n"
            "print(pool.get('redis').url, flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout.readline().startswith("redis://")
        assert len(_ours(engine)) == 1
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 20
    while _ours(engine) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _ours(engine), "the reaper must remove the containers of a suite that was killed"


# 169 s at load 10-20: .ci/containers.sh compares whole quick runs on both providers in CI; this one runs there too.
@pytest.mark.ci_long
def test_compat_says_the_same_on_containers_and_embedded(engine, tmp_path):
    """The provider must not change a verdict: a quick compat run per provider, cell by cell."""
    def run(provider: str) -> Path:
        out = tmp_path / provider
        cmd = [sys.executable, "-m", "parity.cli", "run", "--quick", "--only", "compat", "--provider", provider,
               "--container-network", "host", "--image", f"redis={standins.images()['redis']}",
               "--image", f"postgres={standins.images()['postgres']}", "--out", str(out), "--history", "none",
               "--workload", "none", "--backend", "memory,redis,postgres", "-k", "not test_generated"]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=tmp_path,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert (out / "results.json").exists(), done.stderr[-2000:]
        return out / "results.json"

    a, b = run("embedded"), run("testcontainers")
    doc = json.loads(b.read_text())
    assert doc["run"]["provider"] == "testcontainers" and "network host" in doc["run"]["provider_reason"]
    assert {s["provider"] for s in doc["servers"]} == {"testcontainers"}
    out = subprocess.run([sys.executable, "-m", "parity.provider_parity", str(a), str(b)], capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stdout
    assert not _ours(engine)
