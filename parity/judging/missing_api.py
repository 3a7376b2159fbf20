"""What a user loses when a saver leaves an API method unimplemented: the headline of a "not implemented" finding."""

from __future__ import annotations

from typing import Any

# Driver call -> what stops working for a team that moves onto such a saver. The graph calls fail when the saver
# lacks the API of the cell's flavour underneath them (get_tuple, put...), so they name that API.
LOSSES = {
    "delete_thread": "deleting a thread: its checkpoints and writes stay stored (no erasure on request, no cleanup)",
    "sync API from a worker thread": "the sync API of an async saver (graph.invoke / get_state from a worker "
                                     "thread), which LangGraph's own async savers serve",
    "put": "saving checkpoints", "put_writes": "saving pending writes (interrupts, errors, parallel results)",
    "get_tuple": "reading a checkpoint", "list": "listing checkpoints (get_state_history)",
}
GRAPH_CALLS = {"invoke", "stream", "get_state", "get_state_history", "update_state"}


def loss(call: str, flavour: str) -> str:
    if call.startswith("sync ") and call.endswith("from a worker thread"):
        return LOSSES["sync API from a worker thread"]
    if call in GRAPH_CALLS:
        return f"the {flavour} saver API under graph.{'a' if flavour == 'async' else ''}{call}()"
    return LOSSES.get(call, f"{call}()")


def headline(entries: list[tuple[str, Any]], flavour: str) -> str | None:
    """'not implemented: <what a user loses>' when the trace ends in a NotImplementedError of a saver call."""
    for label, value in entries:
        if label == "raised" and isinstance(value, dict) and value.get("type") == "NotImplementedError":
            call = value.get("call") or "?"
            return f"not implemented: {call}: a user loses {loss(call, flavour)}"[:200]
    return None
