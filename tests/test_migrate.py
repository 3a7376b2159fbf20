"""Self-tests of parity/injecting/migrate.py: copies verify, resume on the target, re-runs add nothing."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import uuid

import pytest
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver

from parity.backends.backend import Backend, SaverContext
from parity.backends.registry import default_registry
from parity.cli.migrate import main_migrate
from parity.injecting import common, migrate
from parity.injecting.claims import verdicts
from tests.conftest import ROOT


def _ctx(endpoint=None):
    return SaverContext(endpoint, f"mig_{uuid.uuid4().hex[:8]}", keep=True)


def _roundtrip(src_b, src_ctx, dst_b, dst_ctx):
    with src_b.saver("sync", src_ctx) as src:
        tids = common.seed_threads(src, 4, "t")
    first = migrate.migrate(src_b, src_ctx, dst_b, dst_ctx)
    assert first["verified"] == first["copied"] == 4, first
    with dst_b.saver("sync", dst_ctx) as dst:
        counts = {t: len(list(dst.list(common.config(t)))) for t in tids}
        namespaces = {tup.config["configurable"]["checkpoint_ns"] for t in tids for tup in dst.list(common.config(t))}
    assert any(ns.startswith("child") for ns in namespaces), f"expected subgraph namespaces copied, got {namespaces}"
    again = migrate.migrate(src_b, src_ctx, dst_b, dst_ctx)
    assert again["verified"] == 4, again
    with dst_b.saver("sync", dst_ctx) as dst:
        assert {t: len(list(dst.list(common.config(t)))) for t in tids} == counts, "a re-run must add no duplicates"
        assert all(common.resume_ok(dst, t) for t in tids), "every copied thread resumes on the target"
    with src_b.saver("sync", src_ctx) as src:
        assert len(migrate.thread_ids(src)) == 4, "the source keeps its threads"
    return first


def _drop(backend, ctx):
    with backend.saver("sync", SaverContext(ctx.endpoint, ctx.scope, keep=False)):
        pass


def test_memory_to_sqlite():
    reg = default_registry()
    src, dst = _ctx(), _ctx()
    try:
        report = _roundtrip(reg.get("memory"), src, reg.get("sqlite"), dst)
        assert report["copied"] == 4
    finally:
        _drop(reg.get("memory"), src)
        _drop(reg.get("sqlite"), dst)


@pytest.fixture(scope="module")
def servers():
    from parity.families.redis.server import EmbeddedRedis
    from parity.families.postgres.server import EmbeddedPostgres
    from parity.servers.embedded import TempRoot

    root = TempRoot()
    started = []
    try:
        for server in (EmbeddedRedis(root, {"save": "", "appendonly": "no"}), EmbeddedPostgres(root)):
            started.append(server)
            server.start()
        yield started
    finally:
        for server in started:
            server.close()  # before removing the root: the reaper leaves once the root is gone
        root.remove()


@pytest.mark.parametrize("direction", ["postgres->redis", "redis->postgres"])
def test_redis_postgres(servers, direction):
    reg = default_registry()
    r, p = servers
    eps = {"redis": r.endpoint(), "postgres": p.endpoint()}
    a, b = direction.split("->")
    src, dst = _ctx(eps[a]), _ctx(eps[b])
    try:
        _roundtrip(reg.get(a), src, reg.get(b), dst)
    finally:
        _drop(reg.get(a), src)
        _drop(reg.get(b), dst)


def test_cli_copies_between_scopes(servers, capsys):
    reg = default_registry()
    r, p = servers
    src, dst = _ctx(p.endpoint()), _ctx(r.endpoint())
    try:
        with reg.get("postgres").saver("sync", src) as saver:
            common.seed_threads(saver, 2, "cli")
        rc = main_migrate(["--from", p.url, "--from-schema", src.scope, "--to", r.url,
                                   "--to-prefix", f"{dst.scope}_checkpoint"])
        assert rc == 0, capsys.readouterr().out
        with reg.get("redis").saver("sync", dst) as saver:
            assert common.resume_ok(saver, "cli-1"), "the CLI copy resumes through the builtin redis backend"
    finally:
        _drop(reg.get("postgres"), src)
        _drop(reg.get("redis"), dst)


def test_cli_refuses_same_storage_and_bad_scheme():
    from parity.errors import ParityUsageError

    with pytest.raises(ParityUsageError, match="same storage"):
        main_migrate(["--from", "redis://127.0.0.1:1/0", "--to", "redis://127.0.0.1:1/0"])
    with pytest.raises(ParityUsageError, match="malformed URL"):
        main_migrate(["--from", "mysql://h/db", "--to", "redis://127.0.0.1:1/0"])


class BaseVersions(InMemorySaver):
    """InMemorySaver keeping BaseCheckpointSaver's default versions: int 1, 2, 3 ..., NotImplementedError on a str
    (as langgraph-checkpoint-plainredis does)."""

    get_next_version = BaseCheckpointSaver.get_next_version


_base_versions: dict[str, BaseVersions] = {}


@contextlib.contextmanager
def _base_versions_saver(ctx):
    yield _base_versions.setdefault(ctx.scope, BaseVersions())


def test_c14_names_the_version_form_the_candidate_cannot_go_on_from():
    """A real rollback study, memory (str versions, as PostgresSaver's) -> a saver with the base class's versions:
    the claim's reason says the cause (get_next_version, the copied versions' form), not only the exception."""
    reg = default_registry()
    cand = Backend("base-versions", None, frozenset(), _base_versions_saver, None, "the base class's int versions")
    inc_ctx, cand_ctx = _ctx(), _ctx()
    try:
        row = migrate.rollback_study(reg.get("memory"), inc_ctx, cand, cand_ctx)
    finally:
        _drop(reg.get("memory"), inc_ctx)
        _base_versions.pop(cand_ctx.scope, None)
    assert row["migration_verified"] and row["resumed_after_move"] == 0, row["observed"]
    why = ("BaseVersions's get_next_version (defined in BaseCheckpointSaver) cannot go on from the copied channel "
           "versions (str like '000000000000'…): NotImplementedError:")
    assert row["resume_errors"] == [why], f"expected one cause, said once: {why!r}; got {row['resume_errors']}"
    pairs = {"pairs": [{"incumbent": "memory", "candidate": "base-versions"}]}
    c14 = {r["id"]: r for r in verdicts({"faults": [row], "run": pairs})}["C14"]
    assert c14["verdict"] == "partly" and why in c14["reason"], c14


def test_a_resume_error_elsewhere_is_said_as_it_was():
    class FullDisk(InMemorySaver):
        full = False

        def put(self, *args):
            if self.full:
                raise RuntimeError("disk full")
            return super().put(*args)

    saver = FullDisk()
    common.seed_threads(saver, 1, "e")
    saver.full = True
    assert migrate._resume(saver, "e-0") == "RuntimeError: disk full", "not a versioning error: no cause invented"


def test_plainredis_cannot_go_on_from_postgres_versions(servers):
    """The standalone upstream check of that cause on the real savers (its own graph, PostgresSaver -> plainredis)."""
    r, p = servers
    script = ROOT / "compat" / "upstream_checks" / "third_party" / "check_plainredis_resume_postgres_versions.py"
    proc = subprocess.run([sys.executable, str(script), r.url, p.url], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "CONFIRMED" in proc.stdout, proc.stdout + proc.stderr[-2000:]
