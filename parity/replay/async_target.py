"""`parity replay --flavour async`: a target's async saver (AsyncRedisSaver, AsyncPostgresSaver, ...) driven by the
replay's sync code, each call run to completion on the replay's own event loop.

Why: an async app's saver is another class with its own code paths upstream (AsyncRedisSaver does not share the
sync RedisSaver's interrupt race, for one). The loop's own cost per call (tens of µs here) is part of the target's
timings, as it is of an async app's.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Iterator


class AsyncTarget:
    """The sync saver methods replay_thread calls, each awaiting the async one on `loop`."""

    def __init__(self, saver: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.saver, self.loop = saver, loop

    def put(self, *args):
        return self.loop.run_until_complete(self.saver.aput(*args))

    def put_writes(self, *args):
        return self.loop.run_until_complete(self.saver.aput_writes(*args))

    def get_tuple(self, config):
        return self.loop.run_until_complete(self.saver.aget_tuple(config))

    def list(self, config, **kw) -> list:
        async def collect():
            return [t async for t in self.saver.alist(config, **kw)]
        return self.loop.run_until_complete(collect())


@contextlib.contextmanager
def opened(backend, ctx) -> Iterator[AsyncTarget]:
    """The backend's async saver opened (and closed, its scope dropped) on a new event loop of its own."""
    loop = asyncio.new_event_loop()
    try:
        cm = backend.saver("async", ctx)
        saver = loop.run_until_complete(cm.__aenter__())
        try:
            yield AsyncTarget(saver, loop)
        finally:
            loop.run_until_complete(cm.__aexit__(None, None, None))
    finally:
        loop.close()
