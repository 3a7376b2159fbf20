"""Calibration's injected slowdowns: a saver that answers as before, each named method first spinning share x its median."""

from __future__ import annotations

import asyncio

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from parity.errors import ParityUsageError
from parity.measuring import slowdown
from parity.measuring.ops import Thread, payload
from parity.measuring.slowdown import Slowdown, Slowed, parse, wrap


@pytest.mark.parametrize("value, expected", [("redis:put=0.2", Slowdown("redis", "put", 0.2)),
                                             ("postgres:get_tuple=40%", Slowdown("postgres", "get_tuple", 0.4))])
def test_parse(value, expected):
    assert parse(value) == expected


@pytest.mark.parametrize("value, words", [("redis:put", "not BACKEND:METHOD=SHARE"), ("redis:aput=0.2", "known method"),
                                          ("redis:put=fast", "not a number"), ("redis:put=0", "above 0"),
                                          ("redis:put=20", "at most")])
def test_bad_slowdown_is_one_line(value, words):
    with pytest.raises(ParityUsageError, match=words) as info:
        parse(value)
    assert "\n" not in str(info.value) and "redis:put=0.2" in str(info.value)


def test_only_the_named_backend_is_wrapped():
    saver = InMemorySaver()
    assert wrap(saver, "postgres", [parse("redis:put=0.2")]) is saver
    assert isinstance(wrap(saver, "redis", [parse("redis:put=0.2")]), Slowed)


def _puts(saver, n: int) -> Thread:
    thread = Thread("t")
    for _ in range(n):
        args = thread.next_put(saver, payload(1024))
        thread.ids.append(saver.put(*args)["configurable"]["checkpoint_id"])
    return thread


def test_spins_share_of_its_running_median_and_answers_as_the_saver(monkeypatch):
    spun: list[int] = []
    monkeypatch.setattr(slowdown, "_spin", spun.append)
    inner = InMemorySaver()
    saver = Slowed(inner, {"put": 0.5})
    thread = _puts(saver, 40)
    median = saver.medians["put"]
    assert spun[0] == 0, "no median before the first call: nothing to add yet"
    assert all(s > 0 for s in spun[1:]) and spun[-1] == int(0.5 * median.value)
    got = saver.get_tuple({"configurable": {"thread_id": thread.id, "checkpoint_ns": ""}})
    assert got == inner.get_tuple({"configurable": {"thread_id": thread.id, "checkpoint_ns": ""}})
    assert len(spun) == 40, "get_tuple was not named: not slowed"


def test_async_methods_are_slowed_too(monkeypatch):
    spun: list[int] = []
    monkeypatch.setattr(slowdown, "_spin", spun.append)
    saver = Slowed(InMemorySaver(), {"get_tuple": 0.2, "list": 0.2})
    thread = _puts(saver, 3)
    cfg = {"configurable": {"thread_id": thread.id, "checkpoint_ns": ""}}

    async def go():
        assert (await saver.aget_tuple(cfg)).checkpoint["id"] == thread.ids[-1]
        return [c async for c in saver.alist(cfg)]
    assert len(asyncio.run(go())) == 3
    assert len(spun) == 2


def test_a_graph_runs_on_a_slowed_saver():
    from tests.results_corpus import app_traffic

    app_traffic(Slowed(InMemorySaver(), {"put": 0.1, "put_writes": 0.1}), threads=2)
