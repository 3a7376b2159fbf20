"""Listing beyond one thread's newest-first page: history from a named checkpoint, all threads, limit 0."""

import pytest

from parity.judging.observe import history_view, tuple_view
from parity.graphs import count_then_ask

INPUT = {"n": 1, "answer": "", "pad": ""}


async def from_a_checkpoint(g) -> None:
    app = g.compile(count_then_ask())
    cfg = g.config("named")
    await g.invoke(app, INPUT, cfg)
    everything = await g.list(cfg)
    middle = everything[1].config  # names a checkpoint_id: the 2nd newest
    g.trace.add("whole thread (newest first)", [t.config for t in everything])
    g.trace.add("list(config with checkpoint_id): that checkpoint only", [tuple_view(t) for t in await g.list(middle)])
    g.trace.add("get_state_history(config with checkpoint_id)", history_view(await g.history(app, middle)))


@pytest.mark.requires("full_history")
async def test_list_from_a_named_checkpoint(parity_cell):
    """Contract: list() and get_state_history() with a config naming a checkpoint_id return that checkpoint only (as get_tuple would), not the whole thread."""
    await parity_cell.check(from_a_checkpoint)


async def across_threads(g) -> None:
    app = g.compile(count_then_ask())
    mine = {g.thread(name): name for name in ("all-a", "all-b", "all-c")}
    for stored in mine:
        await g.invoke(app, INPUT, {"configurable": {"thread_id": stored}})
    # A saver that ignores the cell's scope lists other cells' threads too: only this scenario's are compared.
    # Order across threads is not promised (docs/judging.md): grouped by thread, each in the order returned.
    by_thread: dict = {}
    for t in await g.list(None):
        thread = t.config["configurable"]["thread_id"]
        if thread in mine:
            by_thread.setdefault(thread, []).append(t.config)
    g.trace.add("list(None): every thread, newest first within each", by_thread)
    one = await g.list(None, filter={"step": 1})
    g.trace.add("list(None, filter=step 1)", sorted(mine[t.config["configurable"]["thread_id"]] for t in one
                                                     if t.config["configurable"]["thread_id"] in mine))


@pytest.mark.requires("full_history", "list_filter")
async def test_list_across_all_threads(parity_cell):
    """Contract: list(None) lists the checkpoints of every thread (each thread newest first), and a metadata filter applies across threads."""
    await parity_cell.check(across_threads)


async def limit_zero(g) -> None:
    app = g.compile(count_then_ask())
    cfg = g.config("zero")
    await g.invoke(app, INPUT, cfg)
    g.trace.add("list(limit=0)", [t.config for t in await g.list(cfg, limit=0)])
    g.trace.add("list(limit=1)", [t.config for t in await g.list(cfg, limit=1)])
    g.trace.add("get_state_history(limit=0)", history_view(await g.history(app, cfg, limit=0)))


@pytest.mark.requires("list_limit")
async def test_list_limit_zero(parity_cell):
    """Contract: limit=0 returns no checkpoint (as a slice [:0] would), limit=1 the newest only; get_state_history passes the limit on."""
    await parity_cell.check(limit_zero)
