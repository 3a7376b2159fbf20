"""Memory (C9): bytes per checkpoint, the error at maxmemory with noeviction, threads after LRU eviction."""

from __future__ import annotations

import uuid
from typing import Any

from parity import families
from parity.injecting import common

PAD = 1000  # bytes of state payload per thread: a small but not empty graph state
HEADROOM = 2 * 1024 * 1024  # maxmemory = used after setup + this: fills in a few hundred threads
MAX_THREADS = 3000


def bytes_per_checkpoint(server, backend, n: int = 100) -> dict[str, Any]:
    """Server-side storage growth over n threads (3 checkpoints + writes each), divided per checkpoint."""
    scope = f"mem_{uuid.uuid4().hex[:8]}"
    with common.open_saver(backend, server.endpoint(), scope) as saver:
        before = _stored(server, scope)
        app = common.builder().compile(checkpointer=saver)
        for i in range(n):
            app.invoke(common.start_input(i, PAD), common.config(f"m-{i}"))
        delta = _stored(server, scope) - before
    per = delta / (3 * n)
    return {"backend": backend.name, "case": "bytes per checkpoint",
            "observed": f"{per:.0f} bytes per checkpoint ({PAD} B payload, incl. writes and indexes)",
            "bytes_per_checkpoint": round(per), "checkpoints": 3 * n, "payload_bytes": PAD,
            "estimate": f"memory needed ~= threads x checkpoints per thread x {per:.0f} B "
                        f"(e.g. 10,000 threads x 20 checkpoints = {per * 200_000 / 2**20:.0f} MiB)"}


def _stored(server, scope: str) -> int:
    return families.get(server.family).stored_bytes(server.url, scope)


def fill(server, backend, policy: str) -> dict[str, Any]:
    """Limit memory just above the current use and write threads until error or MAX_THREADS; then inspect each."""
    scope = f"mem_{uuid.uuid4().hex[:8]}"
    with common.open_saver(backend, server.endpoint(), scope) as saver:
        # the limit after the saver's setup (its indexes): Lever.MEMORY_LIMIT, lifted again on leaving the block
        with families.get(server.family).memory_limit(server.url, HEADROOM, policy) as at_limit:
            app = common.builder().compile(checkpointer=saver)
            acked, error, failed_tid = [], None, None
            for i in range(MAX_THREADS):
                tid = f"m-{i}"
                try:
                    app.invoke(common.start_input(i, PAD), common.config(tid))
                    acked.append(tid)
                except Exception as exc:  # the error a graph sees at the limit is the observation
                    error, failed_tid = exc, tid
                    break
            under_limit = _inspect(saver, app, acked, resume=False)
            state = at_limit()
        keys_at_limit, used_at_limit = state["keys"], state["used"]
        after = _inspect(saver, app, acked, resume=True)
        # The thread whose write hit the limit was never acknowledged: a partial state is expected there;
        # what matters is whether re-sending its input recovers it once memory is back.
        failed_state = _failed_thread(app, failed_tid) if failed_tid else None
    return {"backend": backend.name, "case": f"maxmemory {HEADROOM // 1024} KiB headroom, policy {policy}",
            "observed": (common.error_text(error) if error else f"no error after {len(acked)} threads")
                        + f"; {keys_at_limit} keys left at the limit; read at the limit: {under_limit}; "
                        f"after raising the limit: {after}",
            "error": common.error_text(error) if error else None, "threads_acknowledged": len(acked),
            "read_at_limit": under_limit, "after_limit_raised": after, "failed_thread": failed_tid,
            "failed_thread_after": failed_state,
            "keys_at_limit": keys_at_limit, "used_memory_at_limit": used_at_limit}


def _failed_thread(app, tid: str) -> str:
    """What the unacknowledged thread looks like after the limit is raised, and whether re-sending its input works."""
    i = int(tid.split("-")[1])
    try:
        state = app.get_state(common.config(tid))
        seen = ("missing" if not state.values else
                "left looking finished (next=[]) though its nodes never ran" if not state.next else
                f"partial (next={list(state.next)})")
        paused = app.invoke(common.start_input(i, PAD), common.config(tid))
        ok = app.get_state(common.config(tid)).next == ("ask",) and "__interrupt__" in paused
        return f"{seen}; re-sending its input {'recovers it' if ok else 'does not recover it'}"
    except Exception as exc:  # the observation is the error itself
        return f"broken ({type(exc).__name__}: {str(exc)[:120]})"


def _inspect(saver, app, tids: list[str], resume: bool) -> dict[str, int]:
    """Count threads by what they look like: paused at the interrupt, resumed, missing, broken."""
    from langgraph.types import Command

    out: dict[str, int] = {}
    for tid in tids:
        i = int(tid.split("-")[1])
        try:
            state = app.get_state(common.config(tid))
            if not state.values:
                kind = "missing"
            elif state.next != ("ask",) or state.values != {**common.start_input(i, PAD), "n": i + 1}:
                kind = "other state"
            elif not resume:
                kind = "last good checkpoint"
            else:
                done = app.invoke(Command(resume="go"), common.config(tid)) == common.expected_final(i, PAD)
                kind = "resumed" if done else "resumed to a wrong state"
        except Exception as exc:  # a thread that errors on read is "broken": counted, with its error type
            kind = f"broken ({type(exc).__name__})"
        out[kind] = out.get(kind, 0) + 1
    return out
