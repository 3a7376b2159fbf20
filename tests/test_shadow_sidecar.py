"""ShadowSaver(isolation="process"): the candidate in a sidecar process; the same promises as in-process."""

from __future__ import annotations

import functools
import json
import os
import sys
import time

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from parity.shadow import ShadowSaver
from tests.broken_savers import WrongListOrder
from tests.test_shadow_saver import Raises, _drive, _graph


class Slow(InMemorySaver):
    """A candidate that keeps up with nothing: every write takes 0.2 s."""

    def put(self, *a, **k):
        time.sleep(0.2)
        return super().put(*a, **k)


def _lines(folder) -> list[dict]:
    return [json.loads(x) for f in sorted(folder.glob("shadow-*.jsonl")) for x in f.read_text().splitlines()]


def test_a_correct_candidate_in_a_sidecar_agrees_and_one_summary_line_merges_both_sides(tmp_path):
    with ShadowSaver(InMemorySaver(), InMemorySaver, out_dir=tmp_path, read_fraction=1.0,
                     isolation="process") as shadow:
        pid = shadow.sidecar.process.pid
        assert pid != os.getpid()
        _drive(shadow)
    summary = shadow.summary()
    counts = summary["counts"]
    assert counts["mirrored_queued"] == counts["mirrored_applied"] > 0, counts  # app's count, sidecar's count
    assert counts["reads_compared"] > 0 and counts.get("divergences", 0) == 0, counts
    assert "primary.put" in summary["latency"] and "candidate.put" in summary["latency"]
    assert shadow.divergences == []
    lines = _lines(tmp_path)
    assert [r["kind"] for r in lines] == ["summary"], lines
    assert lines[0]["isolation"] == "process" and lines[0]["counts"] == counts
    from parity.shadow.summary import section

    assert section(lines)["isolation"] == {"process": 1}
    if sys.platform.startswith("linux"):
        from parity.shadow.sidecar import autogroup_caveat

        assert lines[0]["sidecar_priority"] == "SCHED_IDLE" + autogroup_caveat()
    assert shadow.sidecar.process.poll() is not None, "the sidecar outlived close()"


def test_a_broken_candidate_in_a_sidecar_yields_divergences_in_its_json_lines(tmp_path):
    with ShadowSaver(InMemorySaver(), "tests.broken_savers:WrongListOrder", out_dir=tmp_path, read_fraction=1.0,
                     isolation="process") as shadow:
        _drive(shadow)
    found = [d for d in shadow.divergences if d["op"] == "list"]
    assert found and found[0]["diff"], shadow.summary()["counts"]
    assert sum(r["kind"] == "divergence" for r in _lines(tmp_path)) == len(shadow.divergences)


def test_a_raising_candidate_in_a_sidecar_marks_threads_unreliable_not_divergent():
    with ShadowSaver(InMemorySaver(), Raises, read_fraction=1.0, isolation="process") as shadow:
        _drive(shadow, threads=2)
        assert shadow.flush(30)
    summary = shadow.summary()
    assert summary["counts"]["dropped_candidate_error"] > 0 and summary["unreliable_threads"] == ["t0", "t1"]
    assert shadow.divergences == []


def test_a_stalled_candidate_never_slows_the_app_and_drops_are_counted():
    """The pipe to the sidecar is its queue (1 MiB on Linux): 3 MB of writes to a candidate that stalls on its first
    write fill it, and the rest is dropped and counted instead of waiting."""
    shadow = ShadowSaver(InMemorySaver(), Slow, read_fraction=0.0, queue_size=2, isolation="process")
    big = "x" * 100_000
    try:
        started = time.monotonic()
        for k in range(30):
            cfg = {"configurable": {"thread_id": f"t{k % 2}", "checkpoint_ns": ""}}
            checkpoint = {"v": 1, "id": f"00000000-0000-0000-0000-{k:012d}", "ts": "", "channel_values": {"big": big},
                          "channel_versions": {"big": 1}, "versions_seen": {}, "pending_sends": []}
            shadow.put(cfg, checkpoint, {}, {"big": 1})
        took = time.monotonic() - started
    finally:
        summary = shadow.close(timeout=2.0)
    # Not a speed assertion: the app finished without waiting for the candidate's 0.2 s per write (30 would be 6 s).
    assert took < 3.0, f"the app waited for the candidate ({took:.1f} s)"
    assert summary["counts"]["dropped_queue_full"] > 0 and set(summary["unreliable_threads"]) == {"t0", "t1"}


def test_a_sidecar_that_dies_costs_the_app_nothing_and_later_writes_are_counted_as_dropped():
    shadow = ShadowSaver(InMemorySaver(), InMemorySaver, read_fraction=0.0, isolation="process")
    shadow.sidecar.process.kill()
    shadow.sidecar.process.wait(5)
    _drive(shadow, threads=1, runs=3)  # must not raise
    summary = shadow.close(timeout=2.0)
    dropped = summary["counts"].get("dropped_sidecar_gone", 0)
    assert dropped > 0, summary["counts"]
    assert summary["counts"].get("close_sidecar_unanswered") == 1


@pytest.mark.parametrize("candidate, says", [
    (InMemorySaver(), "not a InMemorySaver instance"),
    (lambda: InMemorySaver(), "cannot be sent to the sidecar process"),
    ("no_colon_here", "give 'module:function'"),
    ("tests.no_such_module:factory", "failed in the sidecar: ModuleNotFoundError"),
])
def test_a_candidate_the_sidecar_cannot_build_is_one_clear_error_at_construction(candidate, says):
    with pytest.raises(ValueError, match=says):
        ShadowSaver(InMemorySaver(), candidate, isolation="process")


def test_the_same_store_in_a_sidecar_is_refused(tmp_path):
    from langgraph.checkpoint.sqlite import SqliteSaver
    import sqlite3

    path = tmp_path / "app.sqlite"
    primary = SqliteSaver(sqlite3.connect(str(path), check_same_thread=False))
    with pytest.raises(ValueError, match="primary's own store"):
        ShadowSaver(primary, functools.partial(_sqlite_at, str(path)), isolation="process")


def _sqlite_at(path: str):
    import sqlite3

    from langgraph.checkpoint.sqlite import SqliteSaver

    return SqliteSaver(sqlite3.connect(path, check_same_thread=False))


def test_the_graph_runs_the_same_through_a_process_shadow():
    primary = InMemorySaver()
    with ShadowSaver(primary, InMemorySaver, read_fraction=1.0, isolation="process") as shadow:
        out = _graph(shadow).invoke({"items": ["x"]}, {"configurable": {"thread_id": "t"}})
    assert out == {"items": ["x", "a", "b"]}


class Null(InMemorySaver):
    """A candidate that does nothing (the shadow's own cost, without any candidate work)."""

    def put(self, config, *a, **k):
        return config

    def put_writes(self, *a, **k):
        return None


class Stuck(InMemorySaver):
    """A candidate whose writes never return (a stalled server without a timeout)."""

    def put(self, *a, **k):
        time.sleep(120)


def test_the_sidecar_ends_with_the_app_even_when_the_app_is_killed(tmp_path):
    """An app killed with SIGKILL cannot close its shadow, and a sidecar blocked in a candidate call does not read
    its closed pipe: it must still not outlive the app."""
    import signal
    import subprocess

    import psutil

    script = tmp_path / "app.py"
    script.write_text("import time\nfrom langgraph.checkpoint.memory import InMemorySaver\n"
                      "from parity.shadow import ShadowSaver\n"
                      "s = ShadowSaver(InMemorySaver(), 'tests.test_shadow_sidecar:Stuck', isolation='process')\n"
                      "cp = {'v': 1, 'id': '1', 'ts': '', 'channel_values': {}, 'channel_versions': {}, "
                      "'versions_seen': {}, 'pending_sends': []}\n"
                      "s.put({'configurable': {'thread_id': 't', 'checkpoint_ns': ''}}, cp, {}, {})\n"
                      "time.sleep(1)\nprint(s.sidecar.process.pid, flush=True)\ntime.sleep(60)\n")
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=repo,
                           env={**os.environ, "PYTHONPATH": repo})
    try:
        sidecar = int(app.stdout.readline())
        assert psutil.pid_exists(sidecar)
        app.send_signal(signal.SIGKILL)
        app.wait(10)
        deadline = time.monotonic() + 10
        while psutil.pid_exists(sidecar) and psutil.Process(sidecar).status() != psutil.STATUS_ZOMBIE:
            assert time.monotonic() < deadline, "the sidecar outlived its killed app"
            time.sleep(0.05)
    finally:
        if app.poll() is None:
            app.kill()


def test_a_value_the_sidecar_cannot_unpickle_is_a_counted_drop_of_its_thread(tmp_path):
    """An app's state may hold a class of its own __main__, which the sidecar cannot import: that write is a gap in
    the mirror (counted, thread unreliable), and the sidecar keeps serving the other threads."""
    import subprocess

    script = tmp_path / "app.py"
    script.write_text(
        "import json\nfrom dataclasses import dataclass\nfrom langgraph.checkpoint.memory import InMemorySaver\n"
        "from parity.shadow import ShadowSaver\n@dataclass\nclass Mine:\n    a: int = 1\n"
        "s = ShadowSaver(InMemorySaver(), InMemorySaver, isolation='process')\n"
        "def cp(i, value):\n    return {'v': 1, 'id': f'00000000-0000-0000-0000-{i:012d}', 'ts': '', "
        "'channel_values': {'x': value}, 'channel_versions': {'x': 1}, 'versions_seen': {}, 'pending_sends': []}\n"
        "s.put({'configurable': {'thread_id': 'odd', 'checkpoint_ns': ''}}, cp(1, Mine()), {}, {'x': 1})\n"
        "s.put({'configurable': {'thread_id': 'plain', 'checkpoint_ns': ''}}, cp(2, 'text'), {}, {'x': 1})\n"
        "print(json.dumps(s.close()))\n")
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, cwd=repo,
                          env={**os.environ, "PYTHONPATH": repo})
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    counts = summary["counts"]
    assert counts.get("dropped_unpicklable_in_sidecar.AttributeError") == 1, (counts, done.stderr[-800:])
    assert summary["unreliable_threads"] == ["odd"] and counts["mirrored_applied"] == 1, summary


def test_the_sidecar_says_when_its_idle_priority_does_not_reach_other_sessions(tmp_path):
    from parity.shadow.sidecar import autogroup_caveat

    on, off = tmp_path / "on", tmp_path / "off"
    on.write_text("1\n")
    off.write_text("0\n")
    assert "other sessions" in autogroup_caveat(str(on))
    assert autogroup_caveat(str(off)) == "" and autogroup_caveat(str(tmp_path / "absent")) == ""
