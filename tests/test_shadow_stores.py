"""ShadowSaver refuses a candidate that writes to the primary's own store (item 5 of issue 19), and only that."""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace

import pytest
import redis
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite import SqliteSaver

from parity.shadow import ShadowSaver
from parity.shadow.stores import store_of


def test_candidate_sharing_the_primarys_memory_is_refused():
    primary, candidate = InMemorySaver(), InMemorySaver()
    candidate.storage = primary.storage
    with pytest.raises(ValueError, match=r"candidate writes to the primary's own store \(memory storage@"):
        ShadowSaver(primary, candidate)
    ShadowSaver(InMemorySaver(), InMemorySaver()).close()  # two stores: accepted


def test_candidate_on_the_primarys_sqlite_file_is_refused(tmp_path):
    conns = [sqlite3.connect(tmp_path / name, check_same_thread=False) for name in ("app.db", "app.db", "other.db")]
    try:
        primary, same, other = (SqliteSaver(c) for c in conns)
        with pytest.raises(ValueError, match=r"own store \(sqlite .*app\.db\)"):
            ShadowSaver(primary, same)
        ShadowSaver(primary, other).close()
    finally:
        for c in conns:
            c.close()


def test_redis_store_is_server_db_and_prefix():
    """localhost and 127.0.0.1 are one server; another db or key prefix is another store (no server needed)."""
    def saver(url: str, prefix: str = "checkpoint"):
        return SimpleNamespace(_redis=redis.Redis.from_url(url), _checkpoint_prefix=prefix)

    assert store_of(saver("redis://localhost:7001/0")) == store_of(saver("redis://127.0.0.1:7001"))
    assert store_of(saver("redis://127.0.0.1:7001/0")) != store_of(saver("redis://127.0.0.1:7001/1"))
    assert store_of(saver("redis://127.0.0.1:7001/0")) != store_of(saver("redis://127.0.0.1:7001/0", "other"))
    assert store_of(object()) is None, "an unknown saver is not refused"
