"""Standalone: delete_thread removes a thread (memory) or raises NotImplementedError (LMDBSaver, AsyncLMDBSaver)?"""
import asyncio
import sys
import tempfile

import lmdb
from langgraph.checkpoint.memory import InMemorySaver
from langgraph_checkpoint_lmdb import AsyncLMDBSaver, LMDBSaver


def outcome(call):
    try:
        call()
        return "ok"
    except NotImplementedError:
        return "NotImplementedError"


memory = outcome(lambda: InMemorySaver().delete_thread("t"))
with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:  # removed however the check ends
    sync = outcome(lambda: LMDBSaver(lmdb.open(tempfile.mkdtemp(dir=tmp), max_dbs=4)).delete_thread("t"))

    async def adelete():
        await AsyncLMDBSaver(lmdb.open(tempfile.mkdtemp(dir=tmp), max_dbs=4)).adelete_thread("t")
    async_ = outcome(lambda: asyncio.run(adelete()))
    print(f"memory: {memory}  LMDBSaver: {sync}  AsyncLMDBSaver: {async_}")
    ok = memory == "ok" and sync == async_ == "NotImplementedError"
    print("CONFIRMED: no delete_thread in langgraph-checkpoint-lmdb" if ok else "NOT REPRODUCED")
    sys.exit(0 if ok else 1)
