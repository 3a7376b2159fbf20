"""One scenario text for both flavours: awaitable methods that call the sync or the async LangGraph API."""

from __future__ import annotations

import contextlib
from typing import Any, Callable

from parity.backends.backend import Backend, SaverContext
from parity.judging.trace import Trace


class Driver:
    """What a scenario gets: the saver under test, the flavour's API, and the trace it records into."""

    def __init__(self, backend: Backend, flavour: str, ctx: SaverContext, saver: Any, trace: Trace) -> None:
        self.backend = backend
        self.flavour = flavour
        self.ctx = ctx
        self.saver = trace.watch(saver)  # its own output is judged too (parity.judging.invariants)
        self.trace = trace
        self.is_async = flavour == "async"
        self.last_call = ""  # the API call in progress: names a NotImplementedError (parity.judging.missing_api)

    def thread(self, name: str) -> str:
        """The stored thread id for a scenario's thread name: unique to this run, so a saver that ignores
        ctx.scope (a third-party saver on a shared server) cannot see another cell's threads. The trace shows
        the name again, so traces of different cells compare."""
        stored = f"{name}__{self.ctx.scope}"
        self.trace.alias(stored, name)
        return stored

    def config(self, thread_id: str = "t1", **configurable: Any) -> dict[str, Any]:
        return {"configurable": {"thread_id": self.thread(thread_id), **configurable}}

    def compile(self, builder, **kw: Any):
        return builder.compile(checkpointer=self.saver, **kw)

    async def _call(self, obj: Any, name: str, *args: Any, **kw: Any) -> Any:
        self.last_call = name
        if self.is_async:
            return await getattr(obj, "a" + name)(*args, **kw)
        return getattr(obj, name)(*args, **kw)

    async def _collect(self, obj: Any, name: str, *args: Any, **kw: Any) -> list[Any]:
        self.last_call = name
        if self.is_async:
            return [x async for x in getattr(obj, "a" + name)(*args, **kw)]
        return list(getattr(obj, name)(*args, **kw))

    # graph API
    async def invoke(self, app, inp, config, **kw):
        return await self._call(app, "invoke", inp, config, **kw)

    async def stream(self, app, inp, config, **kw) -> list[Any]:
        return await self._collect(app, "stream", inp, config, **kw)

    async def get_state(self, app, config, **kw):
        return await self._call(app, "get_state", config, **kw)

    async def history(self, app, config, **kw) -> list[Any]:
        return await self._collect(app, "get_state_history", config, **kw)

    async def update_state(self, app, config, values, as_node=None):
        return await self._call(app, "update_state", config, values, as_node=as_node)

    # saver API, in the flavour of the cell
    async def put(self, config, checkpoint, metadata, new_versions):
        return await self._call(self.saver, "put", config, checkpoint, metadata, new_versions)

    async def put_writes(self, config, writes, task_id, task_path=""):
        return await self._call(self.saver, "put_writes", config, writes, task_id, task_path)

    async def get_tuple(self, config):
        return await self._call(self.saver, "get_tuple", config)

    async def list(self, config, **kw) -> list[Any]:
        return await self._collect(self.saver, "list", config, **kw)

    async def delete_thread(self, thread_id: str):
        return await self._call(self.saver, "delete_thread", self.thread(thread_id))

    @contextlib.asynccontextmanager
    async def reopened(self):
        """A second saver on the same storage, as a new process would open it."""
        ctx = SaverContext(self.ctx.endpoint, self.ctx.scope, self.ctx.options, keep=True)
        if self.is_async:
            async with self.backend.saver("async", ctx) as saver:
                yield self.trace.watch(saver)
        else:
            with self.backend.saver("sync", ctx) as saver:
                yield self.trace.watch(saver)


Scenario = Callable[[Driver], Any]
