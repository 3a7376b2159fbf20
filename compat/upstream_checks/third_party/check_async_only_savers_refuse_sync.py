"""Standalone: an async saver's sync get_tuple from a worker thread works (AsyncSqliteSaver) or raises (AsyncLMDBSaver, plainredis's AsyncRedisSaver)? argv[1]: a Redis URL."""
import asyncio
import sys
import tempfile

import lmdb
from langgraph.checkpoint.base import create_checkpoint, empty_checkpoint
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph_checkpoint_lmdb import AsyncLMDBSaver
from langgraph_checkpoint_plainredis import AsyncRedisSaver


async def sync_from_thread(saver):
    cfg = {"configurable": {"thread_id": "sync-probe", "checkpoint_ns": ""}}
    cfg = await saver.aput(cfg, create_checkpoint(empty_checkpoint(), None, 0), {"source": "loop", "step": 0}, {})
    try:
        return "ok" if await asyncio.to_thread(saver.get_tuple, cfg) else "None"
    except NotImplementedError:
        return "NotImplementedError"
async def main():
    async with AsyncSqliteSaver.from_conn_string(":memory:") as sqlite:
        control = await sync_from_thread(sqlite)
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:  # removed however the check ends
        lm = await sync_from_thread(AsyncLMDBSaver(lmdb.open(tmp, max_dbs=4)))
    pr = await sync_from_thread(AsyncRedisSaver(url=sys.argv[1], prefix="parity-check-sync"))
    print(f"AsyncSqliteSaver: {control}  AsyncLMDBSaver: {lm}  plainredis AsyncRedisSaver: {pr}")
    return control == "ok" and lm == pr == "NotImplementedError"
ok = asyncio.run(main())
print("CONFIRMED: both async-only savers refuse the sync API" if ok else "NOT REPRODUCED")
sys.exit(0 if ok else 1)
