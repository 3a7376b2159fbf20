"""The server watch (parity/servers/watch.py), the cells it spoils (parity/spoiled.py) and whole-or-absent files."""

from __future__ import annotations

import errno
import os
import signal
import time
from pathlib import Path

import pytest

from conftest import wait_for
from parity import files, incomplete, spoiled
from parity.errors import ParityUsageError
from parity.results_schema import schema as results_schema
from parity.servers.watch import EVENTS, Event, ServerWatch


@pytest.fixture
def redis_server():
    from parity.families.redis.server import EmbeddedRedis
    from parity.servers.embedded import TempRoot

    root = TempRoot()
    server = EmbeddedRedis(root, None)
    try:
        yield server.start()
    finally:
        server.close()
        root.remove()


@pytest.fixture
def watch():
    w = ServerWatch(poll_s=0.1, stall_s=1.0)  # short, so the test waits seconds, not the product's default
    yield w
    w.stop()


def test_a_killed_server_is_one_died_event(redis_server, watch):
    watch.watch(redis_server.endpoint())
    assert wait_for(lambda: watch._targets["redis"].identity is not None, timeout=10), "the watch never heard it"
    assert watch.down("redis") is None
    os.killpg(redis_server.proc.pid, signal.SIGKILL)
    assert wait_for(lambda: watch.down("redis") is not None, timeout=10)
    event = watch.down("redis")
    assert (event.what, event.detail) == ("died", "killed by signal 9"), event
    time.sleep(0.5)  # more failed asks: still one event
    assert len(watch.events) == 1 and watch.news() == [event] and watch.news() == []


def test_a_given_url_is_watched_too_and_never_touched(redis_server, watch):
    """A server the suite did not start (--redis-url): only read, and its absence is "stopped answering" (the suite
    cannot see its process)."""
    from parity.servers.endpoint import Endpoint

    watch.watch(Endpoint("redis", redis_server.url, "external", owned=False))
    assert wait_for(lambda: watch._targets["redis"].identity is not None, timeout=10)
    os.killpg(redis_server.proc.pid, signal.SIGKILL)
    assert wait_for(lambda: watch.down("redis") is not None, timeout=10)
    event = watch.down("redis")
    # Refused when the watch's next connect finds no listener; reset, or closed by the server (redis-py's words for
    # an end of stream), when its open connection was cut mid-read: which one is the kill's timing against the ask.
    assert event.what == "stopped answering" and any(
        why in event.detail for why in ("Connection refused", "Connection reset by peer",
                                        "Connection closed by server")), event
    assert event.line().startswith("the redis server (external) stopped answering at "), event.line()


def test_a_restart_is_seen_and_a_stall_ends_when_it_answers(redis_server, watch):
    watch.watch(redis_server.endpoint())
    assert wait_for(lambda: watch._targets["redis"].identity is not None, timeout=10)
    redis_server.restart(hard=True)  # same port, a new process: a restart the cells did not ask for
    assert wait_for(lambda: watch.events, timeout=10), "the restart was not seen"
    # seen as a new identity, or (an ask between the kill and the start) as an absence that came back a new process
    assert watch.events[0].what in EVENTS, watch.events[0]
    assert wait_for(lambda: watch.down("redis") is None and watch.events[0].until is not None, timeout=10)
    assert watch.events[0].what == "restarted" or "came back as a new server process" in watch.events[0].detail
    os.kill(redis_server.proc.pid, signal.SIGSTOP)
    try:
        assert wait_for(lambda: watch.down("redis") is not None, timeout=10)
        assert watch.down("redis").what == "stopped answering"
    finally:
        os.kill(redis_server.proc.pid, signal.SIGCONT)
    assert wait_for(lambda: watch.down("redis") is None, timeout=10), "it answers again: the stall is over"
    assert watch.events[-1].until is not None


def _cell(cid: str, backend: str, status: str, **kw) -> dict:
    return {"id": cid, "scenario": "test_x", "backend": backend, "flavour": "async", "loop": "selector",
            "status": status, "reason": "ConnectionError: Connection refused", "claims": ["C12"],
            "finding_ids": [], **kw}


def test_spoiled_cells_become_errors_and_no_claim_reads_them():
    died = Event("redis", "embedded", "died", "killed by signal 9", since=100.0, at=100.4)
    doc = {"run": {}, "conformance": [],
           "cells": [_cell("compat/a[redis]", "redis", "diverged", finding_ids=["f1"]),
                     _cell("compat/b[redis]", "redis", "passed"),  # passed: matched the reference, stays evidence
                     _cell("compat/c[redis]", "redis", "failed"),  # ended before the event: the saver's own
                     _cell("compat/a[postgres]", "postgres", "failed")],
           "findings": [{"id": "f1", "backend": "redis"}]}
    windows = {"compat/a[redis]": (99.0, 101.0), "compat/b[redis]": (100.1, 100.2), "compat/c[redis]": (90.0, 99.0),
               "compat/a[postgres]": (99.0, 101.0)}
    spoiled.mark(doc, [died], windows, {"redis": "redis", "postgres": "postgres"}.get)
    status = {c["id"]: c["status"] for c in doc["cells"]}
    assert status == {"compat/a[redis]": "error", "compat/b[redis]": "passed", "compat/c[redis]": "failed",
                      "compat/a[postgres]": "failed"}
    assert doc["findings"] == [] and doc["server_events"][0]["cells"] == 1
    assert doc["cells"][0]["reason"].startswith("harness error, not the saver: the redis server (embedded) died at")
    assert [c["id"] for c in spoiled.evidence(doc)["cells"]] == ["compat/b[redis]", "compat/c[redis]",
                                                                  "compat/a[postgres]"]
    doc["claims"] = [{"id": cid, "verdict": "refuted", "reason": "r", "evidence": []} for cid in ("C4", "C5", "C12")]
    incomplete.apply(doc)
    reasons = {c["id"]: c["reason"] for c in doc["claims"]}
    assert all(r.startswith("not testable in this run: the redis server died at ") and ", 1 cells" in r
               for r in reasons.values()), reasons
    assert doc["run"]["incomplete"][0].startswith("the redis server (embedded) died at")


def test_a_postgres_event_leaves_the_redis_only_claim_to_redis():
    doc = {"run": {}, "claims": [{"id": c, "verdict": "confirmed", "reason": "r", "evidence": []} for c in ("C5", "C12")],
           "cells": [_cell("compat/a[postgres]", "postgres", "error", spoiled_by={
               "server": "postgres", "event": "died", "at": "11:19:47 UTC", "line": "the postgres server died",
               "saw": "x"})]}
    incomplete.apply(doc)
    verdicts = {c["id"]: c["verdict"] for c in doc["claims"]}
    assert verdicts == {"C5": "confirmed", "C12": "not-testable-here"}, doc["claims"]


def test_schema_knows_every_event():
    assert tuple(results_schema()["$defs"]["server_event"]["enum"]) == EVENTS


def test_a_failed_write_leaves_neither_temp_nor_half_file(tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    real_replace = Path.replace

    def full(self, other):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "replace", full)
    with pytest.raises(ParityUsageError) as err:
        files.write_atomic(target, "x" * 1000)
    monkeypatch.setattr(Path, "replace", real_replace)
    assert "no space left to write" in err.value.line() and str(target) in err.value.line()
    assert list(tmp_path.iterdir()) == []


def test_a_failed_append_restores_the_file(tmp_path, monkeypatch):
    history = tmp_path / "history.jsonl"
    history.write_text('{"run_id": "a"}\n')
    import builtins

    real_open = builtins.open

    class Half:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, text):
            self.fh.write(text[:5])
            self.fh.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(builtins, "open", lambda p, mode="r", *a, **k: Half(real_open(p, mode, *a, **k))
                        if mode == "a" else real_open(p, mode, *a, **k))
    with pytest.raises(ParityUsageError):
        files.append_line(history, '{"run_id": "b"}\n', "give --history another file")
    monkeypatch.undo()
    assert history.read_text() == '{"run_id": "a"}\n'


def test_an_unwritable_cache_is_said_before_any_test(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ParityUsageError, match="is a file, not a folder"):
        files.check_folder(blocker / "cache", "the example database", "pass --hypothesis-db off")
    files.check_folder(tmp_path / "new" / "cache", "the example database", "fix")  # missing but makeable: fine
