"""`parity doctor`: what it prints on a healthy setup, and one clear line + exit 2 for each bad input or fault."""

from __future__ import annotations

import time

import pytest

from conftest import run_cli
from parity.families.redis.server import EmbeddedRedis
from parity.servers.embedded import TempRoot

ERROR_BUDGET_S = 10  # the bound for reporting any of these faults


@pytest.fixture(scope="module")
def odd_redis():
    """Two servers the tests own: one with a password, one without the JSON/search modules."""
    root = TempRoot()
    locked = EmbeddedRedis(root, {"requirepass": "s3cret"}).start()
    bare = EmbeddedRedis(root, modules=False).start()
    yield locked, bare
    locked.close()
    bare.close()
    root.remove()


def test_doctor_reports_servers_settings_and_versions():
    out = run_cli("doctor", timeout=120)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    for needle in ("redis ", "postgres ", "ReJSON", "search", "appendonly=", "appendfsync=", "save=",
                   "maxmemory-policy=", "fsync=", "synchronous_commit=", "shared_buffers=", "round trip",
                   "langgraph ", "langgraph-checkpoint-redis", "langgraph-checkpoint-postgres", "redis ", "psycopg "):
        assert needle in text, f"doctor output lacks {needle!r}:\n{text}"
    for backend in ("memory", "redis", "redis-shallow", "postgres", "postgres-shallow"):
        assert any(line.startswith(backend + " ") and " ok" in line for line in text.splitlines()), \
            f"backend {backend} not reported ok:\n{text}"


def test_doctor_masks_the_password(odd_redis):
    locked, _ = odd_redis
    url = f"redis://:s3cret@127.0.0.1:{locked.port}/0"
    out = run_cli("doctor", "--provider", "external", "--redis-url", url, "--backend", "redis")
    assert out.returncode == 0, out.stderr
    assert "s3cret" not in out.stdout and ":***@" in out.stdout


def _cases(odd):
    locked, bare = odd
    ext = ("--provider", "external")
    return {
        "refused port": (ext + ("--redis-url", "redis://127.0.0.1:1/0", "--backend", "redis"),
                         "fix the host/port in --redis-url"),
        "wrong password": (ext + ("--redis-url", f"redis://:wrong@127.0.0.1:{locked.port}/0", "--backend", "redis"),
                           "rejected the credentials"),
        "no password": (ext + ("--redis-url", f"redis://127.0.0.1:{locked.port}/0", "--backend", "redis"),
                        "needs a password"),
        "unknown host": (ext + ("--redis-url", "redis://no-such-host.invalid:6379/0", "--backend", "redis"),
                         "unknown host"),
        "redis without modules": (ext + ("--redis-url", f"redis://127.0.0.1:{bare.port}/0", "--backend", "redis"),
                                  "built without its modules"),
        "postgres refused": (ext + ("--postgres-url", "postgresql://postgres@127.0.0.1:1/postgres",
                                    "--backend", "postgres"), "connection refused"),
        "malformed url": (ext + ("--postgres-url", "postgresql://x@127.0.0.1:notaport/db", "--backend", "postgres"),
                          "malformed URL"),
        "unknown provider": (("--provider", "kubernetes"), "invalid choice"),
        "unknown backend": (("--backend", "mongo"), "unknown backend 'mongo'"),
        "saver not importable": (("--parity-saver", "x=not_a_module:make"), "cannot import saver module"),
    }


CASES = ["refused port", "wrong password", "no password", "unknown host", "redis without modules",
         "postgres refused", "malformed url", "unknown provider", "unknown backend", "saver not importable"]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_line_and_exit_2(odd_redis, case):
    args, expected = _cases(odd_redis)[case]
    started = time.monotonic()
    out = run_cli("doctor", *args, timeout=30)
    elapsed = time.monotonic() - started
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2, f"{case}: exit {out.returncode}, stderr={out.stderr!r}"
    assert len(lines) == 1 and "Traceback" not in out.stderr, f"{case}: not one line: {out.stderr!r}"
    assert expected in lines[0], f"{case}: expected {expected!r} in {lines[0]!r}"
    assert elapsed < ERROR_BUDGET_S, f"{case}: took {elapsed:.1f}s"


def test_missing_postgres_database(parity_session):
    ep = parity_session.endpoint("postgres")
    url = ep.url.rsplit("/", 1)[0] + "/no_such_db"
    out = run_cli("doctor", "--provider", "external", "--postgres-url", url, "--backend", "postgres")
    assert out.returncode == 2 and 'database "no_such_db" does not exist' in out.stderr, out.stderr
    assert "createdb" in out.stderr and len(out.stderr.strip().splitlines()) == 1
