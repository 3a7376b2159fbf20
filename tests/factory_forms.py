"""Every saver-factory form docs/own-saver.md allows (tests/test_factory_forms.py), on a saver that behaves as a
Django-ORM saver does: its sync methods raise SynchronousOnlyOperation when an event loop runs in the calling
thread, and its async methods call them from a worker thread (as asgiref's sync_to_async does)."""

from __future__ import annotations

import asyncio
import contextlib

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver


class SynchronousOnlyOperation(Exception):
    """Django's error, by name: a sync ORM call made while an event loop runs in this thread."""


def _refuse_running_loop() -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return  # no loop here: a sync app's thread
    raise SynchronousOnlyOperation("You cannot call this from an async context - use a thread or sync_to_async.")


class RefusesRunningLoop(InMemorySaver):
    """Correct in a sync app and in an async one; wrong only when its sync API is called inside a running loop."""

    def get_tuple(self, config):
        _refuse_running_loop()
        return super().get_tuple(config)

    def list(self, config, **kw):
        _refuse_running_loop()
        return super().list(config, **kw)

    def put(self, config, checkpoint, metadata, new_versions):
        _refuse_running_loop()
        return super().put(config, checkpoint, metadata, new_versions)

    def put_writes(self, config, writes, task_id, task_path=""):
        _refuse_running_loop()
        return super().put_writes(config, writes, task_id, task_path)

    def delete_thread(self, thread_id):
        _refuse_running_loop()
        return super().delete_thread(thread_id)

    async def aget_tuple(self, config):
        return await asyncio.to_thread(self.get_tuple, config)

    async def alist(self, config, **kw):
        for item in await asyncio.to_thread(lambda: list(self.list(config, **kw))):
            yield item

    async def aput(self, config, checkpoint, metadata, new_versions):
        return await asyncio.to_thread(self.put, config, checkpoint, metadata, new_versions)

    async def aput_writes(self, config, writes, task_id, task_path=""):
        return await asyncio.to_thread(self.put_writes, config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id):
        return await asyncio.to_thread(self.delete_thread, thread_id)


class SyncOnly(RefusesRunningLoop):
    """The sync half of a split saver: its async methods are not there."""

    async def aget_tuple(self, config):
        raise NotImplementedError("use `async with` for the async saver")


class AsyncOnly(InMemorySaver):
    """The async half of a split saver: its sync methods are not there."""

    get_tuple = BaseCheckpointSaver.get_tuple
    list = BaseCheckpointSaver.list
    put = BaseCheckpointSaver.put
    put_writes = BaseCheckpointSaver.put_writes

    async def aget_tuple(self, config):
        return InMemorySaver.get_tuple(self, config)

    async def alist(self, config, **kw):
        for item in InMemorySaver.list(self, config, **kw):
            yield item

    async def aput(self, config, checkpoint, metadata, new_versions):
        return InMemorySaver.put(self, config, checkpoint, metadata, new_versions)

    async def aput_writes(self, config, writes, task_id, task_path=""):
        return InMemorySaver.put_writes(self, config, writes, task_id, task_path)


class _Both:
    """One object that is both a sync and an async context manager."""

    def __init__(self, sync_saver, async_saver) -> None:
        self.sync_saver, self.async_saver, self.opened = sync_saver, async_saver, []

    def __enter__(self):
        self.opened.append("with")
        return self.sync_saver

    def __exit__(self, *exc) -> None:
        return None

    async def __aenter__(self):
        self.opened.append("async with")
        return self.async_saver

    async def __aexit__(self, *exc) -> None:
        return None


# Each form, and the flavours it offers (tests/test_factory_forms.py runs each through a quick matrix).
def saver(ctx):
    """A factory returning a saver."""
    return RefusesRunningLoop()


def saver_without_ctx():
    """A factory taking no argument."""
    return RefusesRunningLoop()


@contextlib.contextmanager
def sync_cm(ctx):
    """A sync context manager of a saver."""
    yield RefusesRunningLoop()


@contextlib.asynccontextmanager
async def async_cm(ctx):
    """An async context manager of a saver: a sync app cannot open it."""
    yield RefusesRunningLoop()


def both_same(ctx):
    """One object that is both context managers, giving the same saver to `with` and `async with`."""
    one = RefusesRunningLoop()
    return _Both(one, one)


def both_split(ctx):
    """One object that is both context managers: `with` gives the sync saver, `async with` the async one."""
    return _Both(SyncOnly(), AsyncOnly())


async def async_def(ctx):
    """An `async def` factory: its saver is made on a loop, so a sync app cannot have it."""
    return RefusesRunningLoop()


async def async_def_without_ctx():
    """An `async def` factory taking no argument."""
    return RefusesRunningLoop()


FORMS = {"saver": {"sync", "async"}, "saver_without_ctx": {"sync", "async"}, "sync_cm": {"sync", "async"},
         "async_cm": {"async"}, "both_same": {"sync", "async"}, "both_split": {"sync", "async"},
         "async_def": {"async"}, "async_def_without_ctx": {"async"}}
