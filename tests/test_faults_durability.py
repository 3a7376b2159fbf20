"""Self-tests of the fault studies on tiny inputs: durability rows and physics, modules, outage row shape."""

from __future__ import annotations

import pytest

from parity import results, results_schema
from parity.backends.registry import default_registry
from parity.injecting import durability, modules


@pytest.fixture(scope="module")
def root():
    from parity.servers.embedded import TempRoot

    r = TempRoot()
    r.started = []
    try:
        yield r
    finally:
        for server in r.started:
            server.close()  # before the root goes: the reaper leaves once the root is gone
        r.remove()


def _redis(root, settings, **kw):
    from parity.families.redis.server import EmbeddedRedis

    server = EmbeddedRedis(root, settings, **kw)
    root.started.append(server)
    return server.start()


@pytest.mark.parametrize("label", ["no persistence", "AOF always"])
def test_durability_rows_and_physics(root, label):
    setting = next(s for s in durability.SETTINGS if s.label == label)
    rows = durability.run_setting(_redis(root, setting.settings), default_registry().get("redis"), setting, 3)
    assert [r["fault"] for r in rows] == ["kill", "term"], rows
    doc = results.new_document()
    doc["durability"] = rows
    results_schema.validate(doc)
    assert rows[0]["acknowledged"] == 9, f"3 threads x 3 checkpoints acknowledged, got {rows[0]}"
    assert durability.physics_violations(rows) == [], rows


def test_physics_violations_flag_each_broken_expectation():
    rows = [{"backend": "redis", "settings": "no persistence", "fault": "kill", "acknowledged": 9, "lost": 0,
             "unresumable": 0},
            {"backend": "redis", "settings": "AOF always", "fault": "kill", "acknowledged": 9, "lost": 2,
             "unresumable": 1},
            {"backend": "redis", "settings": "AOF always", "fault": "term", "acknowledged": 9, "lost": 2,
             "unresumable": 1}]
    found = durability.physics_violations(rows)
    assert len(found) == 2 and "no persistence" in found[0] and "AOF always" in found[1], found


def test_modules_missing_is_reported(root):
    row = modules.without_modules(_redis(root, {"save": ""}, modules=False), default_registry().get("redis"))
    assert row["saver_error"] and "FT." in row["saver_error"], row
    assert row["preflight"] and "RediSearch" in row["preflight"], row
