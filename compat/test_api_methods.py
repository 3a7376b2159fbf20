"""The API a saver offers besides its own flavour: the sync methods of an async saver, called from a worker thread."""

import asyncio

from parity.graphs import count_then_ask
from parity.judging.observe import snapshot, tuple_view
from parity.reasons import not_applicable


async def sync_api_of_async_saver(g) -> None:
    app = g.compile(count_then_ask())
    cfg = g.config("sync-from-thread")
    await g.invoke(app, {"n": 1, "answer": "", "pad": ""}, cfg)  # made with the async API
    # LangGraph's own async savers serve their sync methods from other threads while their loop runs (a sync
    # tool or callback inside an async app): called the same way here, never on the loop's own thread. list is
    # asked for the newest checkpoint only, which shallow savers keep too.
    g.last_call = "sync get_tuple from a worker thread"
    g.trace.add("get_tuple", tuple_view(await asyncio.to_thread(g.saver.get_tuple, cfg)))
    g.last_call = "sync list from a worker thread"
    g.trace.add("list", [t.config for t in await asyncio.to_thread(lambda: list(g.saver.list(cfg, limit=1)))])
    g.last_call = "sync graph.get_state from a worker thread"
    g.trace.add("graph.get_state", snapshot(await asyncio.to_thread(app.get_state, cfg)))


async def test_sync_api_of_an_async_saver(parity_cell):
    """Contract: an async saver also answers the sync API (get_tuple, list, graph.get_state) from a worker thread while its event loop runs, as LangGraph's own async savers do; one that raises NotImplementedError is a finding "not implemented", not a skip."""
    if parity_cell.flavour != "async":
        not_applicable("scenario", "flavour", "asks an async saver for its sync API; the sync cells use the sync API directly")
    await parity_cell.check(sync_api_of_async_saver)
