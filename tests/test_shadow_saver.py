"""ShadowSaver: the app sees only the primary, the candidate is mirrored in order, compared, and can never hurt the app."""

from __future__ import annotations

import asyncio
import json
import operator
import threading
import time
from typing import Annotated, TypedDict

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph

from parity.shadow import ShadowSaver
from tests.broken_savers import LosesParentLinks, WrongListOrder


class State(TypedDict):
    items: Annotated[list, operator.add]


def _graph(saver):
    g = StateGraph(State)
    g.add_node("a", lambda s: {"items": ["a"]})
    g.add_node("b", lambda s: {"items": ["b"]})
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_edge("b", END)
    return g.compile(checkpointer=saver)


def _drive(shadow, threads=3, runs=2):
    """A graph run with state and history reads, as an app would do, on several threads."""
    graph = _graph(shadow)
    for t in range(threads):
        cfg = {"configurable": {"thread_id": f"t{t}"}}
        for _ in range(runs):
            graph.invoke({"items": ["x"]}, cfg)
        graph.get_state(cfg)
        list(graph.get_state_history(cfg))


class Recording(InMemorySaver):
    """A correct candidate that also logs the order of the writes it receives, per thread."""

    def __init__(self):
        super().__init__()
        self.log: dict[str, list[str]] = {}

    def put(self, config, checkpoint, metadata, new_versions):
        self.log.setdefault(config["configurable"]["thread_id"], []).append(checkpoint["id"])
        return super().put(config, checkpoint, metadata, new_versions)


class Raises(InMemorySaver):
    def put(self, *a, **k):
        raise ConnectionError("candidate down")

    def put_writes(self, *a, **k):
        raise ConnectionError("candidate down")


class Sleeps(InMemorySaver):
    def __init__(self, release: threading.Event):
        super().__init__()
        self.release = release

    def put(self, *a, **k):
        self.release.wait(20)  # stalled until the test lets it go, so the queue fills behind it
        return super().put(*a, **k)


def test_app_sees_exactly_the_primary_result():
    primary = InMemorySaver()
    with ShadowSaver(primary, InMemorySaver(), read_fraction=1.0, seed=1) as shadow:
        _graph(shadow).invoke({"items": ["x"]}, {"configurable": {"thread_id": "t"}})
        cfg = {"configurable": {"thread_id": "t"}}
        sentinel = object()
        primary.get_tuple = lambda config: sentinel  # the app must receive this very object
        assert shadow.get_tuple(cfg) is sentinel
        del primary.get_tuple
        want = [t.checkpoint["id"] for t in primary.list(cfg)]
        got = [t.checkpoint["id"] for t in shadow.list(cfg)]
        assert got == want, f"expected primary's list {want}, got {got}"


def test_writes_are_mirrored_in_order_per_thread():
    primary, candidate = InMemorySaver(), Recording()
    with ShadowSaver(primary, candidate, read_fraction=0.0) as shadow:
        _drive(shadow)
        assert shadow.flush(10)
        for t in ("t0", "t1", "t2"):
            cfg = {"configurable": {"thread_id": t}}
            want = [tup.checkpoint["id"] for tup in primary.list(cfg)][::-1]  # oldest first, as written
            assert candidate.log[t] == want, f"thread {t}: expected order {want}, got {candidate.log[t]}"
        assert shadow.summary()["counts"].get("mirrored_applied", 0) > 0


def test_correct_candidate_yields_no_divergence(tmp_path):
    with ShadowSaver(InMemorySaver(), InMemorySaver(), out_dir=tmp_path, read_fraction=1.0) as shadow:
        _drive(shadow)
    summary = shadow.summary()
    assert summary["counts"].get("reads_compared", 0) > 0, summary
    assert shadow.divergences == [], shadow.divergences[:1]
    assert summary["counts"].get("divergences", 0) == 0
    lines = [json.loads(x) for f in sorted(tmp_path.glob("shadow-*.jsonl")) for x in f.read_text().splitlines()]
    assert [r["kind"] for r in lines] == ["summary"], lines


@pytest.mark.parametrize("broken, op", [(WrongListOrder, "list"), (LosesParentLinks, "get_tuple")])
def test_broken_candidate_yields_recorded_divergences(tmp_path, broken, op):
    with ShadowSaver(InMemorySaver(), broken(), out_dir=tmp_path, read_fraction=1.0, payload_cap=200) as shadow:
        _drive(shadow)
    found = [d for d in shadow.divergences if d["op"] == op]
    assert found, f"expected a {op} divergence from {broken.__name__}, got ops {[d['op'] for d in shadow.divergences]}"
    d = found[0]
    assert d["thread"] in ("t0", "t1", "t2") and d["diff"] and len(d["primary"]["json"]) <= 200
    written = [json.loads(x) for f in tmp_path.glob("shadow-*.jsonl") for x in f.read_text().splitlines()]
    assert sum(r["kind"] == "divergence" for r in written) == len(shadow.divergences)


def test_hash_values_stores_no_values(tmp_path):
    with ShadowSaver(InMemorySaver(), WrongListOrder(), out_dir=tmp_path, read_fraction=1.0, hash_values=True) as s:
        _graph(s).invoke({"items": ["secret-value"]}, {"configurable": {"thread_id": "t"}})
        list(s.list({"configurable": {"thread_id": "t"}}))
    text = "".join(f.read_text() for f in tmp_path.glob("shadow-*.jsonl"))
    assert '"divergence"' in text and "secret-value" not in text


def test_raising_candidate_is_counted_and_marks_thread_unreliable():
    with ShadowSaver(InMemorySaver(), Raises(), read_fraction=1.0) as shadow:
        _drive(shadow, threads=2)  # must not raise
        assert shadow.flush(10)
    summary = shadow.summary()
    assert summary["counts"]["dropped_candidate_error"] > 0, summary["counts"]
    assert summary["unreliable_threads"] == ["t0", "t1"]
    assert shadow.divergences == [], "a thread with dropped writes must not be reported as divergent"
    assert summary["counts"].get("reads_skipped_unreliable", 0) > 0


def test_stalled_candidate_never_blocks_the_app_and_drops_are_counted():
    release = threading.Event()
    shadow = ShadowSaver(InMemorySaver(), Sleeps(release), read_fraction=1.0, queue_size=4)
    done = threading.Event()
    app = threading.Thread(target=lambda: (_drive(shadow, threads=2), done.set()))
    app.start()
    # Not a timing assertion on speed: the app only has to finish at all while the candidate is stalled.
    app.join(15)
    stalled_while_done = done.is_set()
    release.set()
    summary = shadow.close()
    assert stalled_while_done, "the app blocked behind a stalled candidate"
    assert summary["counts"]["dropped_queue_full"] > 0, summary["counts"]
    assert set(summary["unreliable_threads"]) == {"t0", "t1"}
    assert shadow.divergences == []


def test_async_api_is_served_and_compared():
    async def run(shadow):
        graph = _graph(shadow)
        cfg = {"configurable": {"thread_id": "a"}}
        await graph.ainvoke({"items": ["x"]}, cfg)
        await graph.aget_state(cfg)
        return [s async for s in graph.aget_state_history(cfg)]

    with ShadowSaver(InMemorySaver(), WrongListOrder(), read_fraction=1.0) as shadow:
        history = asyncio.run(run(shadow))
    assert len(history) == 4
    assert any(d["op"] == "list" for d in shadow.divergences), shadow.summary()["counts"]
    assert "primary.put" in shadow.summary()["latency"] and "candidate.put" in shadow.summary()["latency"]


def test_close_stops_the_worker_and_later_writes_are_not_mirrored():
    shadow = ShadowSaver(InMemorySaver(), InMemorySaver())
    assert shadow.worker.is_alive()
    shadow.close()
    assert not shadow.worker.is_alive(), "worker thread still running after close()"
    _graph(shadow).invoke({"items": ["x"]}, {"configurable": {"thread_id": "late"}})  # the primary still serves
    assert shadow.summary()["counts"]["dropped_after_close"] > 0


def test_jsonl_rotates_by_size(tmp_path):
    with ShadowSaver(InMemorySaver(), WrongListOrder(), out_dir=tmp_path, read_fraction=1.0, rotate_bytes=2000) as s:
        _drive(s)
    files = sorted(tmp_path.glob("shadow-*.jsonl"))
    assert len(files) > 1, f"expected rotation at 2000 bytes, got {[f.stat().st_size for f in files]}"


def test_same_store_is_refused():
    saver = InMemorySaver()
    with pytest.raises(ValueError, match="primary saver itself"):
        ShadowSaver(saver, saver)


def test_summarize_writes_shadow_section(tmp_path, capsys):
    from parity import results
    from parity.cli import main

    for candidate in (InMemorySaver(), WrongListOrder()):  # two recordings into one directory
        with ShadowSaver(InMemorySaver(), candidate, out_dir=tmp_path, read_fraction=1.0) as s:
            _drive(s, threads=1)
    assert main(["shadow", "summarize", str(tmp_path)]) == 0
    shadow = results.load(tmp_path)["shadow"]
    assert shadow["recordings"] == 2 and shadow["divergences"] > 0
    assert set(shadow["divergences_by_op"]) == {"list"}, shadow["divergences_by_op"]
    assert shadow["latency"]["primary.put"]["count"] > 0 and shadow["latency"]["candidate.put"]["count"] > 0
    assert "list" in shadow["latency_p50_ratio"]
    assert "divergences" in capsys.readouterr().out


def test_summarize_bad_input_is_one_line(tmp_path, capsys):
    from parity.cli import main

    assert main(["shadow", "summarize", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no shadow-*.jsonl" in err, err
    assert main(["shadow", "nonsense"]) == 2


class HoldsDeletes(InMemorySaver):
    """A correct candidate whose delete_thread waits for the test, so the items behind it wait too."""

    def __init__(self, release: threading.Event):
        super().__init__()
        self.release = release

    def delete_thread(self, thread_id):
        self.release.wait(20)
        return super().delete_thread(thread_id)


def test_what_was_served_is_compared_even_when_the_app_changes_it_afterwards():
    """A sampled read is captured on the request path; the app then changes the returned tuple in place, as
    LangGraph may, before the worker gets to it: the comparison still sees what the primary served, so no divergence
    is made up (a capture by reference would report "changed by the app" as the primary's)."""
    release = threading.Event()
    with ShadowSaver(InMemorySaver(), HoldsDeletes(release), read_fraction=1.0) as shadow:
        _graph(shadow).invoke({"items": ["x"]}, {"configurable": {"thread_id": "t"}})
        shadow.delete_thread("another-thread")  # the worker now waits in the candidate's delete_thread
        tup = shadow.get_tuple({"configurable": {"thread_id": "t"}})  # queued behind it
        tup.checkpoint["channel_values"]["items"].append("changed by the app")
        release.set()
        assert shadow.flush(10)
    counts = shadow.summary()["counts"]
    assert counts.get("reads_compared", 0) >= 1 and shadow.divergences == [], (counts, shadow.divergences[:1])


class Unpicklable:
    def __reduce__(self):
        raise TypeError("not picklable")

    def __eq__(self, other):
        return isinstance(other, Unpicklable)

    def __repr__(self):
        return "Unpicklable()"


def test_a_result_pickle_cannot_carry_is_still_compared():
    """A value the app made unpicklable: the read is normalised on the request path instead, and judged."""
    primary, candidate = InMemorySaver(), InMemorySaver()
    cfg = {"configurable": {"thread_id": "u", "checkpoint_ns": ""}}
    with ShadowSaver(primary, candidate, read_fraction=1.0) as shadow:
        from langgraph.checkpoint.base import create_checkpoint, empty_checkpoint

        shadow.put(cfg, create_checkpoint(empty_checkpoint(), None, 0), {"source": "input", "step": -1, "parents": {}}, {})
        assert shadow.flush(10)
        tup = shadow.get_tuple(cfg)
        tup.checkpoint["channel_values"]["odd"] = Unpicklable()  # what the app holds now; the compared copy is older
        primary.get_tuple = lambda config: tup  # served once more, with the unpicklable value in it
        shadow.get_tuple(cfg)
        del primary.get_tuple
        assert shadow.flush(10)
    counts = shadow.summary()["counts"]
    assert counts.get("reads_compared", 0) == 2, counts
    assert len(shadow.divergences) == 1 and "odd" in shadow.divergences[0]["diff"], shadow.divergences
