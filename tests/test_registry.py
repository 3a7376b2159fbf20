"""The backend registry: built-ins with declared capabilities, third-party savers by dotted path."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from parity.backends.capabilities import Capability
from langgraph.checkpoint.base import BaseCheckpointSaver

from parity.backends.backend import SaverContext
from parity.backends.registry import backend_from_factory, default_registry, load_factory, parse_saver_option
from parity.errors import ParityUsageError
from parity import families
from parity.servers.endpoint import Endpoint

REQUIRED = {"memory", "redis", "redis-shallow", "postgres", "postgres-shallow"}


def test_required_backends_are_registered():
    names = set(default_registry().names())
    assert REQUIRED <= names, f"missing {REQUIRED - names}"


@pytest.mark.parametrize("backend", list(default_registry()), ids=lambda b: b.name)
def test_every_backend_has_provider_profile_and_doc(backend):
    """Guard: a backend is usable by the matrix only with a server family we can provide, flavours and a doc line."""
    assert backend.family is None or backend.family in families.names()
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
    backend.resolve(_no_server)
    assert backend.has(Capability.SYNC, Capability.ASYNC, Capability.DELETE_THREAD)
    # A fresh InMemorySaver per call keeps nothing for a second saver: not durable, so reopen scenarios say why.
    assert not backend.has(Capability.DURABLE)
    assert backend.family is None and backend.doc.startswith("An in-memory saver")


def _no_server(family):
    raise AssertionError(f"no server expected, asked for {family}")


def test_a_factory_sharing_its_store_by_scope_is_probed_durable_and_one_without_arguments_works():
    from langgraph.checkpoint.memory import InMemorySaver

    stores: dict = {}
    shared = backend_from_factory("shared", lambda ctx: stores.setdefault(ctx.scope, InMemorySaver()), origin="test")
    shared.resolve(_no_server)
    assert shared.has(Capability.DURABLE, Capability.SYNC)
    assert all(not s.storage for s in stores.values()), "the probe's checkpoint must be deleted again"

    def no_args():
        return InMemorySaver()
    bare = backend_from_factory("bare", no_args, origin="test")
    bare.resolve(_no_server)
    assert bare.has(Capability.SYNC, Capability.ASYNC)
    with bare.sync_factory(SaverContext(None, "s")) as saver:
        assert isinstance(saver, InMemorySaver)


def test_an_async_factory_is_probed_on_its_own_loop():
    from langgraph.checkpoint.memory import InMemorySaver

    class AsyncOnly(InMemorySaver):
        get_tuple = BaseCheckpointSaver.get_tuple  # as if only the async API existed

    async def make(ctx):
        return AsyncOnly()
    backend = backend_from_factory("aonly", make, origin="test")
    backend.resolve(_no_server)
    assert backend.flavours() == ["async"], backend.capabilities


def test_a_server_saver_is_probed_only_once_its_server_exists():
    from langgraph.checkpoint.memory import InMemorySaver

    seen = []

    def make(ctx):
        seen.append(ctx.url)
        if ctx.url is None:
            raise ValueError("Either redis_url or redis_client must be provided")
        return InMemorySaver()
    make.parity_family = "redis"
    backend = backend_from_factory("mine", make, origin="test")
    assert seen == [], "registering must not call the factory: no server runs yet"
    backend.resolve(lambda family: Endpoint(family, "redis://127.0.0.1:1/0", "external", owned=False))
    assert seen and set(seen) == {"redis://127.0.0.1:1/0"} and backend.has(Capability.SYNC)


def test_a_factory_failing_at_the_probe_is_one_line_naming_the_fix():
    def make(ctx):
        from langgraph.checkpoint.memory import InMemorySaver
        return InMemorySaver(serde=ctx.url.upper())  # needs a URL but declares no family
    backend = backend_from_factory("needy", make, origin="pkg.mod:make")
    with pytest.raises(ParityUsageError) as exc:
        backend.resolve(_no_server)
    line = exc.value.line()
    assert "\n" not in line and "'needy' (pkg.mod:make) failed when called without a server" in line, line
    assert "AttributeError" in line and "parity_family" in line, line


def test_declared_capabilities_must_be_known_names():
    def make(ctx):
        return None
    make.parity_capabilities = ["sync", "teleport"]
    with pytest.raises(ParityUsageError, match="'teleport' is not a valid Capability"):
        backend_from_factory("odd", make, origin="test")


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


async def test_a_sync_context_manager_factory_gives_its_saver_to_the_async_cells_too():
    """A @contextmanager factory of a saver with both APIs: async cells get the saver, not the context manager."""
    import contextlib

    from langgraph.checkpoint.memory import InMemorySaver

    closed = []

    @contextlib.contextmanager
    def make(ctx):
        try:
            yield InMemorySaver()
        finally:
            closed.append(ctx.scope)

    backend = backend_from_factory("cm", make, origin="test")
    async with backend.saver("async", SaverContext(None, "s1")) as saver:
        assert isinstance(saver, InMemorySaver), type(saver)
        assert await saver.aget_tuple({"configurable": {"thread_id": "t", "checkpoint_ns": ""}}) is None
    assert closed == ["s1"]


def test_a_sync_saver_whose_async_methods_only_refuse_has_no_async_cells():
    """SqliteSaver overrides aget_tuple to raise NotImplementedError("use AsyncSqliteSaver"): no async API."""
    import sqlite3

    from langgraph.checkpoint.sqlite import SqliteSaver

    def make():
        return SqliteSaver(sqlite3.connect(":memory:", check_same_thread=False))

    backend = backend_from_factory("sqlite-sync-only", make, origin="test")
    backend.resolve(lambda family: None)
    assert backend.flavours() == ["sync"], backend.capabilities


def test_a_kept_sqlite_scope_is_removed_when_the_process_ends(tmp_path):
    """A second saver on the same storage keeps its file for a later reopen; nothing reopens it after the process
    ends, so it goes then (one file per kept scope used to stay in the temp folder)."""
    script = ("import os, tempfile\nfrom parity.backends import builtin\nfrom parity.backends.backend import SaverContext\n"
              "with builtin.sqlite_sync(SaverContext(None, 'kept1', keep=True)) as saver:\n"
              "    saver.setup() if hasattr(saver, 'setup') else None\n"
              "kept = [f for _, _, files in os.walk(tempfile.gettempdir()) for f in files]\n"
              "assert 'kept1.sqlite' in kept, f'kept while the process runs: {kept}'\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "TMPDIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.iterdir()) == [], list(tmp_path.iterdir())
