"""Saver operations as data: each property is a list of ops, run the same way on the reference and on a cell.

An op is a tuple whose first item names it; thread ids are the user's (a run-unique prefix is added when run):
  ("put", thread, ns, checkpoint_id, parent_id | None, channel_values, metadata)
  ("put_writes", thread, ns, checkpoint_id, [(channel, value), ...], task_id[, task_path])
  ("get", thread, ns, checkpoint_id | None)
  ("list", thread | None, ns | None, filter | None, before_id | None, limit | None)
      before_id "" is a before= config that names no checkpoint
  ("delete", thread)
  ("prune", thread, strategy)   strategy "keep_latest" or "delete"
The same tuples are written into repro scripts, which carry a copy of `run_ops` (see repro.py).
"""

from __future__ import annotations

import inspect
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver, empty_checkpoint


def checkpoint_id(n: int) -> str:
    """Checkpoint ids that sort in creation order (as uuid6 ids do), the same on every backend."""
    return f"1ef{n:05x}-0000-6000-8000-{n:012x}"


async def call(saver, is_async: bool, name: str, *args, **kw) -> Any:
    if is_async:
        result = getattr(saver, "a" + name)(*args, **kw)
        if inspect.isasyncgen(result):
            return [x async for x in result]
        return await result
    result = getattr(saver, name)(*args, **kw)
    return list(result) if inspect.isgenerator(result) else result


def config(prefix: str, thread: str | None, ns: str | None = None, cid: str | None = None) -> dict:
    conf: dict[str, Any] = {}
    if thread is not None:
        conf["thread_id"] = prefix + thread
    if ns is not None:
        conf["checkpoint_ns"] = ns
    if cid is not None:
        conf["checkpoint_id"] = cid
    return {"configurable": conf}


def view_config(prefix: str, cfg: dict | None) -> Any:
    """A returned config with the run prefix taken off its thread id again (so traces of two runs compare)."""
    if not cfg:
        return cfg
    conf = dict(cfg.get("configurable", {}))
    tid = conf.get("thread_id")
    if isinstance(tid, str) and tid.startswith(prefix):
        conf["thread_id"] = tid[len(prefix):]
    return conf


def view_tuple(prefix: str, tup, full: bool = True) -> Any:
    """What a CheckpointTuple promises: its config, parent, metadata, and (full) channel values and pending writes."""
    if tup is None:
        return None
    view = {"config": view_config(prefix, tup.config), "parent": view_config(prefix, tup.parent_config),
            "metadata": tup.metadata}
    if full:
        view["values"] = tup.checkpoint.get("channel_values")
        view["updated_channels"] = tup.checkpoint.get("updated_channels")
        # In the order returned: writes_sort_key's (task_path, task_id, idx) is promised, and generated task ids
        # and paths are the same on both savers, so the reference's order is the one expected.
        view["writes"] = [list(w) for w in tup.pending_writes or []]
    return view


async def run_op(saver, is_async: bool, prefix: str, op: tuple, versions: dict) -> Any:
    """Run one op; return what a user observes of it. An exception is an observation too."""
    kind = op[0]
    try:
        if kind == "put":
            _, thread, ns, cid, parent, values, metadata = op
            cp = empty_checkpoint()
            cp["id"], cp["ts"] = cid, "2026-01-01T00:00:00+00:00"
            cp["channel_values"] = dict(values)
            versions["n"] = versions.get("n", 0) + 1  # one global counter: versions only ever grow, as LangGraph's do
            cp["channel_versions"] = {ch: f"{versions['n']:032}.0" for ch in values}
            # Every field of Checkpoint filled (parity.generated.fields): the nodes' seen versions, the updated channels
            cp["versions_seen"], cp["updated_channels"] = {"node": dict(cp["channel_versions"])}, sorted(values)
            stored = await call(saver, is_async, "put", config(prefix, thread, ns, parent), cp, dict(metadata),
                                dict(cp["channel_versions"]))
            return view_config(prefix, stored)
        if kind == "put_writes":
            _, thread, ns, cid, writes, task_id, *path = op
            return await call(saver, is_async, "put_writes", config(prefix, thread, ns, cid), list(writes), task_id,
                              path[0] if path else "")
        if kind == "get":
            _, thread, ns, cid = op
            return view_tuple(prefix, await call(saver, is_async, "get_tuple", config(prefix, thread, ns, cid)))
        if kind == "list":
            _, thread, ns, flt, before, limit = op
            cfg = config(prefix, thread, ns) if thread is not None else None
            kw = {"filter": flt, "before": config(prefix, thread, ns, before or None) if before is not None else None,
                  "limit": limit}
            views = [view_tuple(prefix, t, full=False) for t in await call(saver, is_async, "list", cfg, **kw)]
            return views if ns is not None else sorted(views, key=repr)  # across namespaces no order is promised
        if kind == "delete":
            return await call(saver, is_async, "delete_thread", prefix + op[1])
        if kind == "prune":
            if type(saver).prune is BaseCheckpointSaver.prune:  # the reference has no prune: its documented contract
                return prune_memory(saver, prefix + op[1], op[2])
            return await call(saver, is_async, "prune", [prefix + op[1]], strategy=op[2])
    except Exception as exc:  # compared with what the reference did
        return {"raised": type(exc).__name__}
    raise ValueError(f"unknown op {kind!r}")


def prune_memory(saver, thread_id: str, strategy: str) -> None:
    """BaseCheckpointSaver.prune's documented contract, on InMemorySaver (which does not implement prune):
    "keep_latest" keeps only the most recent checkpoint (the highest id) of each namespace, "delete" none; the
    pending writes of a removed checkpoint go with it. Recorded as a prune call where the saver's calls are (the
    rules of parity.judging.invariants must know the thread was pruned)."""
    calls = getattr(saver, "_parity_calls", None)
    call = calls.begin("prune", ([thread_id],), {"strategy": strategy}) if calls is not None else None
    for ns, checkpoints in saver.storage.get(thread_id, {}).items():
        for cid in sorted(checkpoints)[:-1 if strategy == "keep_latest" else None]:
            del checkpoints[cid]
            saver.writes.pop((thread_id, ns, cid), None)
    if call is not None:
        calls.finish(call)


async def run_ops(saver, is_async: bool, prefix: str, ops: list[tuple]) -> list[Any]:
    versions: dict = {}
    return [await run_op(saver, is_async, prefix, op, versions) for op in ops]
