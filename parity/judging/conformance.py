"""The official langgraph-checkpoint-conformance suite run on a matrix cell, sync savers through an async facade."""

from __future__ import annotations

import contextlib
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver

from parity.backends.backend import SaverContext

# async method -> the sync method a facade forwards it to (the conformance suite calls only the async API)
FORWARDED = {"aput": "put", "aput_writes": "put_writes", "aget_tuple": "get_tuple", "adelete_thread": "delete_thread",
             "adelete_for_runs": "delete_for_runs", "acopy_thread": "copy_thread", "aprune": "prune"}


def _overrides(cls: type, method: str) -> bool:
    return getattr(cls, method, None) is not getattr(BaseCheckpointSaver, method, None)


def sync_facade(saver: BaseCheckpointSaver) -> BaseCheckpointSaver:
    """An async-looking saver whose a* methods call the sync ones, so the suite sees sync-only bugs.

    Only methods the sync saver implements are forwarded: the suite detects capabilities by override,
    so a sync saver without prune must not look as if it had one.
    """
    inner_cls = type(saver)
    namespace: dict[str, Any] = {"__init__": _facade_init, "get_next_version": _forward("get_next_version")}
    for amethod, method in FORWARDED.items():
        if _overrides(inner_cls, method):
            namespace[amethod] = _async_forward(method)
    if _overrides(inner_cls, "list"):
        namespace["alist"] = _async_list
    facade_cls = type(f"SyncFacade[{inner_cls.__name__}]", (BaseCheckpointSaver,), namespace)
    return facade_cls(saver)


def _facade_init(self, inner) -> None:
    BaseCheckpointSaver.__init__(self, serde=inner.serde)
    self.inner = inner


def _forward(method: str):
    def call(self, *args, **kw):
        return getattr(self.inner, method)(*args, **kw)
    return call


def _async_forward(method: str):
    async def call(self, *args, **kw):
        return getattr(self.inner, method)(*args, **kw)
    call.__name__ = "a" + method
    return call


async def _async_list(self, config, **kw):
    for item in self.inner.list(config, **kw):
        yield item


def registered(name: str, backend, flavour: str, endpoint, new_scope):
    """A @checkpointer_test factory giving a fresh saver in a fresh scope for each capability suite."""
    from langgraph.checkpoint.conformance import checkpointer_test

    async def factory():
        ctx = SaverContext(endpoint, new_scope())
        if flavour == "async":
            async with backend.saver("async", ctx) as saver:
                yield saver
        else:
            with backend.saver("sync", ctx) as saver:
                yield sync_facade(saver)

    return checkpointer_test(name=name)(factory)


async def run(backend, flavour: str, endpoint, new_scope) -> dict[str, dict[str, Any]]:
    """capability -> {"status": passed|failed|not-implemented, "detail": ...} from one validate() run."""
    from langgraph.checkpoint.conformance import validate

    report = await validate(registered(f"{backend.name}-{flavour}", backend, flavour, endpoint, new_scope))
    rows = {}
    for cap, result in report.to_dict()["results"].items():
        if not result["detected"]:
            rows[cap] = {"status": "not-implemented", "detail": "the saver does not override this method"}
        elif result["passed"]:
            rows[cap] = {"status": "passed", "detail": f"{result['tests_passed']} tests passed"}
        else:
            failures = [_first_line(f) for f in result["failures"]]
            rows[cap] = {"status": "failed",
                         "detail": f"{result['tests_failed']} of {result['tests_failed'] + result['tests_passed']} "
                                   f"failed: " + "; ".join(failures)}
    return rows


def _first_line(failure: str) -> str:
    lines = [ln for ln in failure.strip().splitlines() if ln.strip()]
    head = lines[0] if lines else failure
    tail = lines[-1] if len(lines) > 1 else ""
    return (head + (" | " + tail if tail and tail != head else ""))[:240]


with contextlib.suppress(ImportError):  # keep the module importable for reports without the suite installed
    import langgraph.checkpoint.conformance  # noqa: F401
