"""The backend registry: built-ins with declared capabilities, third-party savers by dotted path."""

from __future__ import annotations

import pytest

from parity.backends.capabilities import Capability
from parity.backends.registry import backend_from_factory, default_registry, load_factory, parse_saver_option
from parity.errors import ParityUsageError
from parity.servers.endpoint import FAMILIES

REQUIRED = {"memory", "redis", "redis-shallow", "postgres", "postgres-shallow"}


def test_required_backends_are_registered():
    names = set(default_registry().names())
    assert REQUIRED <= names, f"missing {REQUIRED - names}"


@pytest.mark.parametrize("backend", list(default_registry()), ids=lambda b: b.name)
def test_every_backend_has_provider_profile_and_doc(backend):
    """Guard: a backend is usable by the matrix only with a server family we can provide, flavours and a doc line."""
    assert backend.family is None or backend.family in FAMILIES
    assert backend.flavours(), f"{backend.name} declares neither sync nor async"
    assert backend.doc and len(backend.doc) > 20
    for flavour in backend.flavours():
        assert (backend.sync_factory if flavour == "sync" else backend.async_factory) is not None


def test_shallow_savers_do_not_claim_history():
    reg = default_registry()
    assert not reg.get("redis-shallow").has(Capability.FULL_HISTORY)
    assert not reg.get("postgres-shallow").has(Capability.FULL_HISTORY)
    assert reg.get("redis").has(Capability.FULL_HISTORY, Capability.TTL)
    assert not reg.get("postgres").has(Capability.TTL)


def test_unknown_backend_is_one_clear_line():
    with pytest.raises(ParityUsageError) as exc:
        default_registry().get("mongo")
    assert "unknown backend 'mongo'" in exc.value.line() and "\n" not in exc.value.line()


@pytest.mark.parametrize("spec", ["noequals", "name=nocolon", "=mod:f"])
def test_bad_saver_option(spec):
    with pytest.raises(ParityUsageError, match="NAME=module:factory"):
        parse_saver_option(spec)


def test_saver_that_cannot_be_imported():
    with pytest.raises(ParityUsageError, match="cannot import saver module 'no_such_mod'"):
        load_factory("no_such_mod:make")
    with pytest.raises(ParityUsageError, match="no callable 'nope'"):
        load_factory("parity.backends.builtin:nope")


def test_third_party_factory_capabilities_are_probed():
    from langgraph.checkpoint.memory import InMemorySaver

    def make(ctx):
        """An in-memory saver plugged in from outside."""
        return InMemorySaver()

    backend = backend_from_factory("mine", make, origin="test")
    assert backend.has(Capability.SYNC, Capability.ASYNC, Capability.DELETE_THREAD)
    assert backend.family is None and backend.doc.startswith("An in-memory saver")


def test_entry_point_savers_are_registered(monkeypatch):
    """Packages plug savers in through the `parity.savers` entry-point group."""
    from importlib import metadata

    from parity.backends import registry as reg_mod

    ep = metadata.EntryPoint(name="vendor-saver", value="tests.broken_savers:correct_memory",
                             group=reg_mod.ENTRY_POINT_GROUP)
    real = metadata.entry_points
    monkeypatch.setattr(reg_mod.metadata, "entry_points",
                        lambda group=None, **kw: [ep] if group == reg_mod.ENTRY_POINT_GROUP else real(group=group, **kw))
    backend = default_registry().get("vendor-saver")
    assert backend.origin == "entry point tests.broken_savers:correct_memory"
    assert backend.has(Capability.SYNC, Capability.ASYNC)
