"""Sync cells as a sync app runs: the scenario's text is shared with the async flavour (`await g.invoke(...)`), but
in a sync cell nothing it awaits suspends, so it is driven to the end here, in a thread with no event loop at all.

A saver that refuses to be called while a loop runs (Django's ORM raises SynchronousOnlyOperation when
`asyncio.get_running_loop()` succeeds) behaves here as in the sync app it is written for.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Coroutine


class NeedsLoop(RuntimeError):
    """A sync cell's code awaited something only an event loop can finish (asyncio.sleep, to_thread, a task)."""


def drive(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine that never suspends to its result, with no event loop; NeedsLoop if it does suspend."""
    try:
        yielded = coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise NeedsLoop(f"a sync cell awaited {yielded!r}, which needs an event loop; a sync cell runs none "
                    "(fix: call the sync API only, or guard the asyncio part with `if g.is_async`)")


def run(fn: Callable[..., Coroutine[Any, Any, Any]], *args: Any, **kw: Any) -> Any:
    """fn(*args, **kw) driven in a fresh thread that has no event loop (running or set), as a sync app's thread.

    Its outcome, exceptions included (pytest's skip, xfail and fail too), is re-raised in the caller. The caller
    waits in join(), which Ctrl-C and the cell timer's SIGALRM interrupt: a hung cell's thread is a daemon and
    cannot keep the process alive.
    """
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = drive(fn(*args, **kw))
        except BaseException as exc:  # noqa: BLE001 — handed to the caller as it is
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="parity-sync-cell", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
