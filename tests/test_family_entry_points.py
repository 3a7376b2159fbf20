"""Families come from the `parity.families` entry points, and a saver's needs are judged on the server found."""

from __future__ import annotations

from importlib import metadata

import pytest

from parity import families
from parity.backends.backend import Backend, ServerNeeds
from parity.backends.capabilities import Capability as C
from parity.errors import ParityUsageError
from parity.families.base import Family
from parity.families.redis import Redis


class Plugin(Redis):
    name = "plugindb"
    title = "PluginDB"
    order = 5
    default_backend = "plugindb"


PLUGIN = Plugin()
NOT_A_FAMILY = object()
DUPLICATE = Redis()  # another package's family of the same name


def _entry_points(*extra: metadata.EntryPoint):
    original = metadata.entry_points  # the module is importlib.metadata itself: keep the real function
    real = list(original(group=families.ENTRY_POINT_GROUP))
    return lambda group: real + list(extra) if group == families.ENTRY_POINT_GROUP else original(group=group)


@pytest.fixture
def with_entry_points(monkeypatch):
    def use(*extra: metadata.EntryPoint) -> None:
        monkeypatch.setattr(families.metadata, "entry_points", _entry_points(*extra))
        families._all.cache_clear()
    yield use
    families._all.cache_clear()


def test_the_built_in_families_are_entry_points():
    eps = {ep.name: ep.value for ep in metadata.entry_points(group=families.ENTRY_POINT_GROUP)}
    assert eps.get("redis") == "parity.families.redis:FAMILY" and eps.get("postgres") == "parity.families.postgres:FAMILY", eps
    assert families.names()[:2] == ("redis", "postgres"), families.names()


def test_a_package_adds_a_family_and_its_savers(with_entry_points):
    from parity.backends.registry import default_registry

    with_entry_points(metadata.EntryPoint("plugindb", f"{__name__}:PLUGIN", families.ENTRY_POINT_GROUP))
    assert families.names() == ("redis", "postgres", "plugindb"), families.names()
    assert families.get("plugindb") is PLUGIN
    found = {b.name: b.family for b in default_registry()}
    assert found.get("plugindb") == "plugindb" and found.get("plugindb-shallow") == "plugindb", found


@pytest.mark.parametrize("value, words", [(f"{__name__}:NOT_A_FAMILY", "not a parity.families.Family instance"),
                                          ("no_such_module_xyz:FAMILY", "failed to load: ModuleNotFoundError")])
def test_a_broken_family_plugin_is_one_line(with_entry_points, value, words):
    with_entry_points(metadata.EntryPoint("broken", value, families.ENTRY_POINT_GROUP))
    with pytest.raises(ParityUsageError) as exc:
        families.names()
    assert words in exc.value.line() and "\n" not in exc.value.line(), exc.value.line()


def test_two_packages_with_one_family_name_are_refused(with_entry_points):
    with_entry_points(metadata.EntryPoint("redis2", f"{__name__}:DUPLICATE", families.ENTRY_POINT_GROUP))
    with pytest.raises(ParityUsageError) as exc:
        families.names()
    assert "two installed packages register the server family 'redis'" in exc.value.line(), exc.value.line()


NEEDS = ServerNeeds(modules=(("ReJSON", "RedisJSON"), ("search", "RediSearch")), min_version=(8, 0),
                    who="langgraph-checkpoint-redis")


@pytest.mark.parametrize("probe, expected", [
    ({"server": "Valkey", "version": "9.1.2", "modules": ["lua"]},
     "Valkey 9.1.2 lacks the modules RedisJSON and RediSearch (it has: lua), which langgraph-checkpoint-redis needs"),
    ({"version": "8.2.1", "modules": ["ReJSON", "search", "lua"]}, None),
    ({"version": "8.2.1", "modules": ["ReJSON"]},
     "the server 8.2.1 lacks the modules RediSearch (it has: ReJSON), which langgraph-checkpoint-redis needs"),
    ({"version": "7.2.4-rc1", "modules": ["ReJSON", "search"]},
     "the server 7.2.4-rc1 is older than 8.0, which langgraph-checkpoint-redis needs"),
    (None, None),  # nothing probed (a doctor's bare endpoint): nothing to judge
])
def test_server_needs_explain_themselves(probe, expected):
    assert NEEDS.unmet(probe) == expected


def test_the_redis_savers_needs_name_the_package():
    from parity.families.redis.savers import MODULES

    assert MODULES.unmet({"version": "9.1.2", "modules": []}).endswith("which langgraph-checkpoint-redis needs")


def test_an_unfit_backend_offers_nothing_on_that_server():
    from parity.servers.endpoint import Endpoint

    ep = Endpoint("plugindb", "redis://127.0.0.1:1/0", "external", owned=False,
                  probe={"server": "PluginDB", "version": "1.0", "modules": []})
    backend = Backend("plugindb-json", "plugindb", frozenset({C.SYNC, C.SERVER}), None, None, "a saver needing JSON",
                      needs=ServerNeeds(modules=(("ReJSON", "RedisJSON"),), who="it"))
    assert backend.has(C.SYNC)
    backend.resolve(lambda family: ep)
    assert backend.unfit == "PluginDB 1.0 lacks the modules RedisJSON (it has: none), which it needs"
    assert not backend.has(C.SYNC) and backend.describe()["unfit"] == backend.unfit
    assert backend.flavours() == ["sync"], "its cells are still made, to say not-applicable with the reason"


def test_family_interface_has_savers_and_events():
    for name in families.names():
        family = families.get(name)
        assert isinstance(family, Family) and family.backends(), name
        assert family.default_backend in {b.name for b in family.backends()}, name
        assert family.events_what and family.notable_events(), name
        assert all(k.startswith(family.events_prefix) for k in family.notable_events()), name
