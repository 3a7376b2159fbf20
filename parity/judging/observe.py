"""What scenarios record: the parts of a StateSnapshot / CheckpointTuple the LangGraph API promises."""

from __future__ import annotations

import uuid
from typing import Any


def snapshot(state, links: bool = False) -> dict[str, Any]:
    """A StateSnapshot as the API promises it: values, next, config, metadata, tasks with interrupts/errors.

    links=True adds parent_config: a history fact, so only scenarios requiring full_history ask for it
    (shallow savers keep no parent by design).
    """
    view = {"values": state.values, "next": list(state.next), "config": state.config, "metadata": state.metadata,
            "tasks": [task_view(t, links) for t in state.tasks],
            "interrupts": [{"value": i.value} for i in state.interrupts]}
    if links:
        view["parent_config"] = state.parent_config
    return view


def task_view(task, links: bool = False) -> dict[str, Any]:
    sub = task.state  # a StateSnapshot (get_state(subgraphs=True)), else a subgraph's config (a dict) or None
    return {"name": task.name, "path": list(task.path), "error": error_view(task.error),
            "interrupts": [{"value": i.value} for i in task.interrupts], "result": task.result,
            "state": snapshot(sub, links) if hasattr(sub, "next") else sub}


def error_view(err) -> Any:
    return None if err is None else {"type": type(err).__name__, "message": str(err)}


def tuple_view(tup, links: bool = False) -> dict[str, Any] | None:
    """A CheckpointTuple: config, metadata, channel values, pending writes (order across tasks not promised).

    links=True adds the parent link (full_history scenarios only, as for snapshot()).
    """
    if tup is None:
        return None
    cp = tup.checkpoint
    view = {"parent_config": tup.parent_config} if links else {}
    return {**view, "config": tup.config, "metadata": tup.metadata,
            "checkpoint": {"id": cp["id"], "channel_values": cp.get("channel_values"),
                           "channel_versions": cp.get("channel_versions"), "versions_seen": cp.get("versions_seen")},
            "pending_writes": sorted_writes(tup.pending_writes)}


def sorted_writes(writes) -> list[Any]:
    """Pending writes, in the order the API promises and no more.

    Across tasks there is no promised order (savers sort by task id, which is random per run). Within a
    task, writes to the same channel keep their order (a reducer sees them in that order); writes to
    different channels are independent (e.g. __interrupt__ vs __resume__ from two put_writes calls), so
    they are grouped by channel name.
    """
    if not writes:
        return []
    by_task: dict[str, list] = {}
    for task_id, channel, value in writes:
        by_task.setdefault(task_id, []).append([channel, value])
    by_task = {tid: sorted(ws, key=lambda w: str(w[0])) for tid, ws in by_task.items()}  # stable: same-channel order kept
    groups = sorted(by_task.items(), key=lambda kv: repr(kv[1]))
    return [{"task_id": tid, "writes": ws} for tid, ws in groups]


def history_view(states) -> list[dict[str, Any]]:
    """History entries in the order returned (newest first is promised): checkpoint link structure + step + values."""
    return [{"config": s.config, "parent_config": s.parent_config, "step": s.metadata.get("step") if s.metadata else None,
             "source": s.metadata.get("source") if s.metadata else None, "next": list(s.next), "values": s.values}
            for s in states]


def typed(value: Any) -> Any:
    """Exact Python types and reprs, so a value that comes back as a different type is a difference."""
    if isinstance(value, dict):
        return {"__type__": type(value).__name__, "items": {_typed_key(k): typed(v) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return {"__type__": type(value).__name__, "items": [typed(v) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {"__type__": type(value).__name__, "items": sorted(repr(v) for v in value)}
    if isinstance(value, uuid.UUID):  # a value, not an id: hex is not tokenised by the trace normaliser
        return {"__type__": "uuid.UUID", "hex": value.hex}
    return {"__type__": f"{type(value).__module__}.{type(value).__qualname__}", "repr": repr(value)}


def _typed_key(key: Any) -> str:
    """A dict key with its type: {1: ...} and {"1": ...} stay different ("int:1" vs "1")."""
    return key if isinstance(key, str) else f"{type(key).__name__}:{key!r}"
