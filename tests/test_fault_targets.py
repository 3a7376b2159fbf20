"""Fault studies choose their backends by role and declared levers (parity/injecting/targets.py), never by name."""

from __future__ import annotations

import inspect

import pytest

from parity import families, roles
from parity.backends.backend import ServerNeeds
from parity.backends.capabilities import Capability as C
from parity.backends.registry import default_registry
from parity.families import Family, Lever
from parity.injecting import targets


def _selected(*names):
    """Fresh copies of the built-in backends (the registry's are shared by every test of this process)."""
    import dataclasses

    return [dataclasses.replace(default_registry().get(n)) for n in names]


ALL = ("memory", "sqlite", "redis", "redis-shallow", "postgres", "postgres-shallow")


def _ids(found):
    return [(t.id, t.backend is not None) for t in found]


def test_the_default_pairs_give_what_the_studies_ran_on_before_roles():
    """The first full Redis and Postgres savers, candidates first: the ids of the default run stay."""
    found = targets.for_roles(_selected(*ALL), roles.DEFAULT, targets.ROLES, (C.FULL_HISTORY,))
    assert _ids(found) == [("redis", True), ("postgres", True)], _ids(found)
    ttl = targets.for_roles(_selected(*ALL), roles.DEFAULT, ("candidate",), (C.TTL, C.FULL_HISTORY), (Lever.KEY_TTL,))
    assert _ids(ttl) == [("redis", True)], _ids(ttl)
    no_ttl = targets.for_roles(_selected(*ALL), roles.DEFAULT, ("incumbent",), (C.DELETE_THREAD,), lacking=(C.TTL,))
    assert _ids(no_ttl) == [("postgres", True)], _ids(no_ttl)


def test_a_family_without_the_lever_is_one_not_applicable_target_with_the_reason():
    pairs = [roles.Pair("redis", "postgres")]  # the reverse migration: the candidate's family has no memory limit
    found = targets.for_roles(_selected(*ALL), pairs, ("candidate",), (C.FULL_HISTORY,), (Lever.MEMORY_LIMIT,))
    assert _ids(found) == [("postgres", False)], _ids(found)
    reason = found[0].reason
    assert reason.kind == "study" and "declares no memory-limit fault lever" in reason.text, reason


def test_an_in_process_backend_has_no_server_to_fault_but_migrates():
    pairs = [roles.Pair("sqlite", "redis")]
    found = targets.for_roles(_selected(*ALL), pairs, targets.ROLES, (C.FULL_HISTORY,))
    assert _ids(found) == [("redis", True), ("sqlite", False)], _ids(found)
    assert "no server of its own" in found[1].reason.text, found[1].reason
    inc, cand = targets.pair_for(_selected(*ALL), pairs, (C.FULL_HISTORY,), (C.FULL_HISTORY,))
    assert (inc.name, cand.name) == ("sqlite", "redis")


def test_a_missing_capability_an_unfit_server_and_an_unselected_role_each_say_why():
    pairs = [roles.Pair("postgres-shallow", "redis-shallow")]
    found = targets.for_roles(_selected(*ALL), pairs, ("candidate",), (C.FULL_HISTORY,))
    assert found[0].reason.kind == "capability" and "lacks capability full_history" in found[0].reason.text
    backends = _selected(*ALL)
    redis = next(b for b in backends if b.name == "redis")
    redis.unfit = "Redis 8.2 lacks the modules RedisJSON and RediSearch"
    found = targets.for_roles(backends, roles.DEFAULT, ("candidate",), (C.FULL_HISTORY,))
    assert _ids(found) == [("redis", False)] and found[0].reason.kind == "server", found
    found = targets.for_roles(_selected("memory", "redis"), roles.DEFAULT, ("incumbent",))
    assert _ids(found) == [("incumbent", False)] and found[0].reason.kind == "selection", found
    why = targets.pair_for(_selected("memory", "redis"), roles.DEFAULT)
    assert why.kind == "selection" and "both backends selected" in why.text, why


def test_a_role_is_one_of_the_two():
    with pytest.raises(ValueError, match="a role is one of"):
        targets.for_roles(_selected(*ALL), roles.DEFAULT, ("redis",))


@pytest.mark.parametrize("name", families.names())
def test_every_declared_lever_has_its_hooks(name):
    """A family declaring a lever overrides the hooks the lever names (Family's own raise NotImplementedError)."""
    hooks = {Lever.KEY_TTL: ("scope_ttls",), Lever.MEMORY_LIMIT: ("memory_limit",),
             Lever.CLUSTER: ("cluster_settings", "form_cluster"), Lever.POOLED_SAVER: ("pooled_saver",),
             Lever.WITHOUT_MODULES: ("embedded",)}
    assert set(hooks) == set(Lever), "a new lever needs its hooks listed here"
    family = families.get(name)
    for lever in family.fault_levers:
        for hook in hooks[lever]:
            assert getattr(type(family), hook) is not getattr(Family, hook), f"{name} declares {lever} without {hook}"
    if Lever.WITHOUT_MODULES in family.fault_levers:
        assert "modules" in inspect.signature(family.embedded()).parameters, f"{name}: embedded(..., modules=False)"


def test_a_needs_fix_is_said_with_the_missing_modules():
    from parity.families.redis import savers

    probe = {"server": "Redis", "version": "8.2.3", "modules": []}
    assert "lacks the modules RedisJSON and RediSearch" in savers.MODULES_WITH_FIX.unmet(probe)
    assert "BUILD_WITH_MODULES" in savers.MODULES_WITH_FIX.fix_for(probe)
    assert "Redis Stack" in savers.MODULES_WITH_FIX.fix_for({"version": "7.2.4"})
    assert ServerNeeds(modules=(("x", "X"),)).fix_for(probe), "a generic fix when none is declared"
