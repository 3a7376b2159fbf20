"""Backend-agnostic saver operations for timing: prefilled threads, payloads, one callable per call index."""

from __future__ import annotations

import operator
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Annotated, Any, Awaitable, Callable, TypedDict

from langgraph.checkpoint.base import empty_checkpoint
from langgraph.checkpoint.base.id import uuid6

from parity.backends.capabilities import Capability as C

KB = 1024
SIZES = {"1KB": KB, "100KB": 100 * KB, "1MB": 1024 * KB}


def payload(nbytes: int) -> list[dict[str, str]]:
    """Chat-like state of about nbytes: messages of ~500 characters (a list, so savers serialise it as a blob)."""
    count = max(1, nbytes // 512)
    text = ("lorem ipsum dolor sit amet " * 20)[:500]
    return [{"role": "user" if i % 2 else "assistant", "content": text} for i in range(count)]


def cfg(thread: str, checkpoint_id: str | None = None) -> dict[str, Any]:
    conf = {"thread_id": thread, "checkpoint_ns": ""}
    if checkpoint_id:
        conf["checkpoint_id"] = checkpoint_id
    return {"configurable": conf}


@dataclass
class Thread:
    """A thread being written: its id, the last checkpoint id and channel version."""

    id: str
    ids: list[str] = field(default_factory=list)
    version: Any = None
    step: int = -1

    def __post_init__(self) -> None:
        # Every thread a measurement writes is new to the server, whatever its name: a saver that keeps per-thread
        # state outside its scope (ShallowRedisSaver's write registry is named by thread id alone) would otherwise
        # carry one cell's writes into the next cell, repeat or worker process using the same name, and each read
        # got slower: redis-shallow get_tuple 1.1 -> 1.5 -> 1.9 -> 2.3 -> 2.7 ms over five cells, which was the
        # shallow pair's drift between repeats (18%) and fresh processes (76-82%). The compat matrix does the same
        # (fixtures.Recorder.thread).
        self.id = f"{self.id}-{uuid.uuid4().hex[:8]}"

    def next_put(self, saver: Any, state: Any) -> tuple[dict, dict, dict, dict]:
        self.version = saver.get_next_version(self.version, None)
        self.step += 1
        ckpt = empty_checkpoint()
        ckpt["id"] = str(uuid6(clock_seq=self.step))
        ckpt["ts"] = datetime.now(timezone.utc).isoformat()
        ckpt["channel_values"] = {"messages": state}
        ckpt["channel_versions"] = {"messages": self.version}
        ckpt["versions_seen"] = {"agent": {"messages": self.version}}
        meta = {"source": "loop", "step": self.step, "parents": {}}
        parent = cfg(self.id, self.ids[-1] if self.ids else None)
        return parent, ckpt, meta, {"messages": self.version}


class SaverCalls:
    """The flavour's saver API as plain calls; async flavour returns coroutines."""

    def __init__(self, saver: Any, flavour: str, full_history: bool = True) -> None:
        self.saver, self.is_async = saver, flavour == "async"
        self.saver_keeps_history = full_history

    def put(self, thread: Thread, state: Any):
        args = thread.next_put(self.saver, state)
        if self.is_async:
            async def run():
                out = await self.saver.aput(*args)
                thread.ids.append(out["configurable"]["checkpoint_id"])
            return run()
        out = self.saver.put(*args)
        thread.ids.append(out["configurable"]["checkpoint_id"])

    def put_writes(self, thread: Thread, writes: list, task_id: str):
        conf = cfg(thread.id, thread.ids[-1])
        if self.is_async:
            return self.saver.aput_writes(conf, writes, task_id)
        return self.saver.put_writes(conf, writes, task_id)

    def get_tuple(self, conf: dict):
        return self.saver.aget_tuple(conf) if self.is_async else self.saver.get_tuple(conf)

    def list(self, conf: dict, limit: int):
        if self.is_async:
            async def run():
                return [x async for x in self.saver.alist(conf, limit=limit)]
            return run()
        return list(self.saver.list(conf, limit=limit))

    def delete_thread(self, thread_id: str):
        return self.saver.adelete_thread(thread_id) if self.is_async else self.saver.delete_thread(thread_id)


async def maybe(result: Any) -> Any:
    """Await a coroutine from an async call; pass a sync call's result through."""
    if hasattr(result, "__await__"):
        return await result
    return result


async def fill(calls: SaverCalls, thread: Thread, checkpoints: int, state: Any, writes_every: int = 1) -> Thread:
    """Give a thread a realistic history: `checkpoints` puts, each followed by one task's writes."""
    for _ in range(checkpoints):
        await maybe(calls.put(thread, state))
        if writes_every and thread.step % writes_every == 0:
            await maybe(calls.put_writes(thread, [("messages", state[:1])], str(uuid.uuid4())))
    return thread


# An op's builder prepares a backend's data outside the timed region and returns `call(i)`: the i-th timed call
# (sync value or coroutine).
OpCall = Callable[[int], Any]
Builder = Callable[["Op", SaverCalls, str, int, int, Any], Awaitable[OpCall]]


async def _put(op: Op, calls: SaverCalls, prefix: str, n: int, history: int, state: Any) -> OpCall:
    thread = await fill(calls, Thread(f"{prefix}-put-{op.payload}"), 1, state)
    return lambda i: calls.put(thread, state)


async def _put_writes(op: Op, calls: SaverCalls, prefix: str, n: int, history: int, state: Any) -> OpCall:
    thread = await fill(calls, Thread(f"{prefix}-pw"), 1, state)
    writes = [("messages", state), ("route", "next")]
    return lambda i: calls.put_writes(thread, writes, str(uuid.uuid4()))


async def _read_thread(op: Op, calls: SaverCalls, prefix: str, history: int, state: Any) -> Thread:
    key = (id(calls), history, op.payload)  # the read ops share one prefilled thread per saver
    if key not in _shared:
        _shared[key] = await fill(calls, Thread(f"{prefix}-read"), history, state)
    return _shared[key]


async def _get_tuple_latest(op: Op, calls: SaverCalls, prefix: str, n: int, history: int, state: Any) -> OpCall:
    conf = cfg((await _read_thread(op, calls, prefix, history, state)).id)
    return lambda i: calls.get_tuple(conf)


async def _get_tuple_by_id(op: Op, calls: SaverCalls, prefix: str, n: int, history: int, state: Any) -> OpCall:
    thread = await _read_thread(op, calls, prefix, history, state)
    # Shallow savers keep only the latest id; asking for it by id is the same question to both.
    known = thread.ids if calls.saver_keeps_history else thread.ids[-1:]
    confs = [cfg(thread.id, cid) for cid in known]
    return lambda i: calls.get_tuple(confs[(i * 7) % len(confs)])


async def _list_10(op: Op, calls: SaverCalls, prefix: str, n: int, history: int, state: Any) -> OpCall:
    conf = cfg((await _read_thread(op, calls, prefix, history, state)).id)
    return lambda i: calls.list(conf, 10)


async def _delete_thread(op: Op, calls: SaverCalls, prefix: str, n: int, history: int, state: Any) -> OpCall:
    threads = [await fill(calls, Thread(f"{prefix}-del-{k}"), 1, state) for k in range(n)]
    return lambda i: calls.delete_thread(threads[i % len(threads)].id)


async def _graph_step(op: Op, calls: SaverCalls, prefix: str, n: int, history: int, state: Any) -> OpCall:
    return graph_step(calls, f"{prefix}-graph-{uuid.uuid4().hex[:8]}", state)  # new threads (see Thread)


@dataclass
class Op:
    """A timed saver operation: its name and payload, the capabilities it needs, and how its calls are prepared
    (`build`; an Op made elsewhere by name, e.g. the footprint's, takes the CORE_OPS builder of that name)."""

    name: str
    payload: str
    needs: tuple = ()
    kind: str = "write"  # write | read | delete | graph
    build: Builder | None = field(default=None, repr=False, compare=False)

    def applicable(self, backend) -> bool:
        return backend.has(*self.needs)


# Every benchmarked op, one row each with its builder: a row here is timed by test_op and test_core_ops_defaults,
# gets its ratios and the report's rows; a claim's band names the ops it bounds (parity/verdicts.py).
CORE_OPS = [
    Op("put", "1KB", build=_put), Op("put", "100KB", build=_put), Op("put_writes", "1KB", build=_put_writes),
    Op("get_tuple_latest", "1KB", kind="read", build=_get_tuple_latest),
    Op("get_tuple_by_id", "1KB", kind="read", build=_get_tuple_by_id),
    Op("list_10", "1KB", (C.LIST_LIMIT,), kind="read", build=_list_10),
    Op("delete_thread", "1KB", (C.DELETE_THREAD,), kind="delete", build=_delete_thread),
    Op("graph_step", "1KB", kind="graph", build=_graph_step),
]
# The headline ops: each measured `profile.repeats` times in one run, their ratios judged for repeatability.
HEADLINE_OPS = [op for op in CORE_OPS if (op.name, op.payload) in {
    ("put", "1KB"), ("put_writes", "1KB"), ("get_tuple_latest", "1KB"), ("list_10", "1KB"), ("graph_step", "1KB")}]


_shared: dict = {}


def reset_shared() -> None:
    _shared.clear()


async def prepare(op: Op, calls: SaverCalls, prefix: str, n: int, history: int) -> OpCall:
    """Fill what the op needs for n calls (plus headroom) and return the call."""
    build = op.build or next((o.build for o in CORE_OPS if o.name == op.name), None)
    if build is None:
        raise ValueError(f"unknown op {op.name!r}")
    return await build(op, calls, prefix, n, history, payload(SIZES[op.payload]))


class S(TypedDict):
    messages: Annotated[list, operator.add]
    turns: int


def graph_step(calls: SaverCalls, thread: str, state: Any) -> OpCall:
    """One invoke of a two-node graph: a step that appends a message, then a router step; ~3 checkpoints per call."""
    from langgraph.graph import END, START, StateGraph

    def respond(s: S) -> dict:
        return {"messages": [{"role": "assistant", "content": "ok"}], "turns": s.get("turns", 0) + 1}

    g = StateGraph(S)
    g.add_node("respond", respond)
    g.add_edge(START, "respond")
    g.add_edge("respond", END)
    app = g.compile(checkpointer=calls.saver)
    first = {"messages": state[:2], "turns": 0}

    def call(i: int):
        conf = {"configurable": {"thread_id": f"{thread}-{i % 50}"}}  # 50 threads: history stays realistic
        inp = first if i < 50 else {"messages": [{"role": "user", "content": "next"}]}
        return app.ainvoke(inp, conf) if calls.is_async else app.invoke(inp, conf)
    return call
