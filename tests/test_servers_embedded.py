"""Embedded provider: real servers start on free ports, answer, stop, and leave no process or data dir behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import psycopg
import pytest
import redis

from conftest import ROOT, wait_for
from parity.families.redis.server import EmbeddedRedis
from parity.families.postgres.server import EmbeddedPostgres
from parity.servers.embedded import TempRoot
from parity.servers.pool import ServerConfig, ServerPool


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_embedded_servers_start_answer_and_clean_up():
    root = TempRoot()
    try:
        r = EmbeddedRedis(root).start()
        p = EmbeddedPostgres(root).start()
        assert redis.Redis.from_url(r.url).ping() is True
        modules = {m[b"name"] for m in redis.Redis.from_url(r.url).module_list()}
        assert {b"ReJSON", b"search"} <= modules, f"expected RedisJSON and RediSearch loaded, got {modules}"
        with psycopg.connect(p.url) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
        assert r.port != p.port
        pids = [r.proc.pid, p.proc.pid]
    finally:
        for server in ("p", "r"):
            if server in locals():
                locals()[server].close()
        root.remove()
    assert not any(_running(pid) for pid in pids), "a server outlived close()"
    assert not root.path.exists(), f"data dir {root.path} left behind"


def test_restart_keeps_data_and_applies_new_settings():
    root = TempRoot()
    server = EmbeddedRedis(root, {"appendonly": "yes", "appendfsync": "always"}).start()
    try:
        redis.Redis.from_url(server.url).set("k", "v")
        server.restart({"appendonly": "yes", "appendfsync": "everysec"}, hard=True)
        client = redis.Redis.from_url(server.url)
        assert client.get("k") == b"v", "AOF always lost an acknowledged write across SIGKILL"
        assert client.config_get("appendfsync") == {"appendfsync": "everysec"}
    finally:
        server.close()
        root.remove()


def test_pool_stops_everything_it_started():
    pool = ServerPool(ServerConfig("embedded"))
    eps = [pool.get("redis"), pool.get("postgres")]
    extra = pool.start_embedded("redis", {"save": ""})
    pids = [ep.pid for ep in eps] + [extra.proc.pid]
    root = Path(eps[0].data_dir).parent
    pool.close()
    assert not any(_running(pid) for pid in pids)
    assert not root.exists()


SCRIPT = textwrap.dedent("""
    import sys, time
    from parity.servers.pool import ServerConfig, ServerPool
    pool = ServerPool(ServerConfig("embedded"))
    eps = [pool.get("redis"), pool.get("postgres")]
    print(eps[0].pid, eps[1].pid, eps[0].data_dir, flush=True)
    time.sleep(120)
""")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_a_killed_suite_leaves_nothing_behind(sig):
    """Even SIGKILL (no cleanup code runs) must not leak: the reaper stops the servers and removes the data."""
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    line = proc.stdout.readline().split()
    assert len(line) == 3, f"child did not start servers: {line}"
    redis_pid, pg_pid, data_dir = int(line[0]), int(line[1]), Path(line[2]).parent
    os.kill(proc.pid, sig)
    proc.wait(timeout=30)
    assert wait_for(lambda: not _running(redis_pid) and not _running(pg_pid), timeout=15), \
        f"servers still running after {sig.name} of the suite"
    assert wait_for(lambda: not data_dir.exists(), timeout=15), f"{data_dir} left behind after {sig.name}"


def test_killed_pytest_run_leaves_nothing_behind(tmp_path):
    """A real pytest session of the suite, SIGKILLed mid-run: no redis-server/postgres of it survives."""
    test = tmp_path / "test_hang.py"
    test.write_text("import time\ndef test_hang(parity_session):\n"
                    "    ep = parity_session.endpoint('redis'); print('PID', ep.pid, ep.data_dir, flush=True)\n"
                    "    time.sleep(120)\n")
    proc = subprocess.Popen([sys.executable, "-m", "pytest", "-s", "-q", "-p", "no:cacheprovider", str(test)],
                            stdout=subprocess.PIPE, text=True, cwd=tmp_path)
    pid = data = None
    for line in proc.stdout:
        if "PID" in line:
            _, pid, data = line.split()[-3:]
            break
    assert pid, "the pytest child never reached the test"
    proc.kill()
    proc.wait(timeout=30)
    assert wait_for(lambda: not _running(int(pid)), timeout=15), "redis-server survived a SIGKILLed pytest"
    assert wait_for(lambda: not Path(data).parent.exists(), timeout=15), "data dir survived a SIGKILLed pytest"


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="POSIX shared memory segments live in /dev/shm (Linux)")
def test_a_killed_postgres_leaves_no_shared_memory_segment_behind():
    """A SIGKILLed postmaster cannot remove its dynamic shared memory (/dev/shm/PostgreSQL.*); closing the server
    must, or every crash fault leaks one (168 had piled up here before this)."""
    from parity.families.postgres import shm

    root = TempRoot()
    try:
        before = shm.snapshot()
        pg = EmbeddedPostgres(root).start()
        with psycopg.connect(pg.url) as conn:
            conn.execute("SELECT 1")
        ours = shm.snapshot() - before
        assert ours, "a running postmaster has its control segment in /dev/shm (else this test proves nothing)"
        pg.kill()
        assert ours <= shm.snapshot(), "SIGKILL left the segments (what this test is about)"
        time.sleep(shm.SETTLE_S)
        pg.close()
        assert not ours & shm.snapshot(), f"segments left behind: {sorted(ours & shm.snapshot())}"
    finally:
        root.remove()
