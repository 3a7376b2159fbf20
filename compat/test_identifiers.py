"""Identifiers as users write them: thread ids with '@', spaces and other characters that are not path-safe."""

import pytest

from parity.judging.observe import history_view, snapshot
from parity.graphs import count_then_ask

# An e-mail address and a display name are common thread ids (one thread per customer or per conversation title).
THREAD_IDS = {"at": "customer@example.com", "space": "sales pipeline 42", "mixed": "a/b:c|d#e?f&g=h%20 ünï"}


async def odd_thread_id(g, thread_id: str) -> None:
    from langgraph.types import Command

    app = g.compile(count_then_ask())
    cfg = g.config(thread_id)
    g.trace.add("paused", await g.invoke(app, {"n": 1, "answer": "", "pad": ""}, cfg))
    g.trace.add("state", snapshot(await g.get_state(app, cfg)))
    g.trace.add("resumed", await g.invoke(app, Command(resume="yes"), cfg))
    g.trace.add("history", history_view(await g.history(app, cfg)))
    g.trace.add("saver list: thread ids", sorted({t.config["configurable"]["thread_id"] for t in await g.list(cfg)}))


@pytest.mark.parametrize("kind", sorted(THREAD_IDS))
@pytest.mark.requires("full_history")
async def test_thread_id_characters(parity_cell, kind):
    """Contract: a thread id is any string: with '@', spaces, '/', ':', '|', '%', '#' or non-ASCII a thread pauses, resumes, has its history and is listed under the same id."""
    await parity_cell.check(lambda g: odd_thread_id(g, THREAD_IDS[kind]), name=f"test_thread_id_characters[{kind}]")
