"""What the fault studies share: a small interrupting graph, saver opening on an owned server."""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

from parity.backends.backend import Backend, SaverContext
from parity.graphs import State, count_then_ask as builder  # noqa: F401  (shared with the smoke scenario)


# How a fault is made on an embedded server; a container server declares its own (docker kill, pause, ...).
EMBEDDED_LEVERS = {"kill": "SIGKILL to the server's process group", "stop": "SIGTERM/SIGINT (the server's own shutdown)",
                   "start": "the server restarted on the same data dir", "stall": "loopback proxy blackhole"}


def lever(server, action: str) -> str:
    """What makes `action` (kill, stop, start, stall) happen on this server: written beside every fault result."""
    return getattr(server, "LEVERS", EMBEDDED_LEVERS)[action]


def config(thread_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}}


def start_input(i: int, pad_bytes: int = 0) -> dict[str, Any]:
    return {"n": i, "answer": "", "pad": "x" * pad_bytes}


def expected_final(i: int, pad_bytes: int = 0) -> dict[str, Any]:
    return {"n": i + 1, "answer": "go", "pad": "x" * pad_bytes}


@contextlib.contextmanager
def open_saver(backend: Backend, endpoint, scope: str, options: dict | None = None) -> Iterator[Any]:
    """A sync saver on an owned server that never drops its scope (the server and its data dir go away whole)."""
    with backend.saver("sync", SaverContext(endpoint, scope, options or {}, keep=True)) as saver:
        yield saver


def closing_quietly(cm):
    """Enter a context whose exit may fail because the server under it was just killed; that failure is expected."""
    @contextlib.contextmanager
    def wrapper():
        entered = cm.__enter__()
        try:
            yield entered
        finally:
            try:
                cm.__exit__(None, None, None)
            except Exception:  # the fault itself broke the connection; nothing to clean on a dead server
                pass
    return wrapper()


def error_text(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:300]


def settings_label(settings: dict[str, Any]) -> str:
    return " ".join(f"{k}={v if v != '' else chr(34) * 2}" for k, v in settings.items()) or "server defaults"


def subgraph_builder():
    """A parent whose node is a subgraph that interrupts: threads with a child checkpoint namespace."""
    from langgraph.graph import END, START, StateGraph

    child = builder().compile()
    g = StateGraph(State)
    g.add_node("prep", lambda s: {"pad": s["pad"] + "p"})
    g.add_node("child", child)
    g.add_edge(START, "prep")
    g.add_edge("prep", "child")
    g.add_edge("child", END)
    return g


def seed_threads(saver, n: int, tag: str) -> list[str]:
    """n interrupted threads, half of them through a subgraph (so copies must carry namespaces)."""
    tids = []
    for i in range(n):
        b = subgraph_builder() if i % 2 else builder()
        tid = f"{tag}-{i}"
        b.compile(checkpointer=saver).invoke(start_input(i), config(tid))
        tids.append(tid)
    return tids


def resume_ok(saver, tid: str) -> bool:
    """Resume a seeded thread on saver; True when it reaches the expected end state."""
    from langgraph.types import Command

    i = int(tid.rsplit("-", 1)[1])
    b = subgraph_builder() if i % 2 else builder()
    out = b.compile(checkpointer=saver).invoke(Command(resume="go"), config(tid))
    want = expected_final(i)
    if i % 2:
        want = {**want, "pad": "p"}
    return out == want
