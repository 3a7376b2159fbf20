"""Migration (C14): copy threads between any two savers with the public saver API only, and verify the copy."""

from __future__ import annotations

import traceback
from collections import defaultdict
from typing import Any

from parity.backends.backend import SaverContext
from parity.judging.trace import Trace, diff

# A saver may cap what list() returns without a limit (RedisSaver: 10,000 results, one FT.SEARCH page): a thread
# that long is said as possibly cut, whichever saver copied it.
LIST_CAP = 10000


def thread_ids(saver) -> list[str]:
    """Every thread a saver lists (list(None) walks all checkpoints)."""
    seen: dict[str, None] = {}
    for tup in saver.list(None):
        seen.setdefault(tup.config["configurable"]["thread_id"], None)
    return list(seen)


def _tuples(saver, tid: str) -> list:
    """All checkpoints of a thread, every namespace, oldest first (checkpoint ids sort by time)."""
    tuples = list(saver.list({"configurable": {"thread_id": tid}}))
    return sorted(tuples, key=lambda t: (t.config["configurable"].get("checkpoint_ns", ""),
                                         t.config["configurable"]["checkpoint_id"]))


def put_args(tup) -> tuple[tuple, dict, dict[str, list]]:
    """How to write a CheckpointTuple again through the saver API: put's arguments (config naming the parent,
    checkpoint, metadata, every channel's version), the checkpoint's own config, and its pending writes by task."""
    conf = tup.config["configurable"]
    tid, ns, cid = conf["thread_id"], conf.get("checkpoint_ns", ""), conf["checkpoint_id"]
    parent = tup.parent_config["configurable"]["checkpoint_id"] if tup.parent_config else None
    put_config = {"configurable": {"thread_id": tid, "checkpoint_ns": ns, **({"checkpoint_id": parent} if parent else {})}}
    checkpoint = dict(tup.checkpoint)
    by_task: dict[str, list] = defaultdict(list)
    for task_id, channel, value in tup.pending_writes or []:
        by_task[task_id].append((channel, value))  # task_path is not exposed by the saver API: written as ""
    target = {"configurable": {"thread_id": tid, "checkpoint_ns": ns, "checkpoint_id": cid}}
    return ((put_config, checkpoint, dict(tup.metadata or {}), dict(checkpoint.get("channel_versions", {}))),
            target, dict(by_task))


def copy_thread(src, dst, tid: str) -> dict[str, int]:
    """Put every checkpoint with its parent link, metadata and versions, then its pending writes, by task."""
    counts = {"checkpoints": 0, "writes": 0, "already_present": 0}
    for tup in _tuples(src, tid):
        args, target, by_task = put_args(tup)
        if dst.get_tuple(target) is not None:
            counts["already_present"] += 1
        dst.put(*args)
        counts["checkpoints"] += 1
        for task_id, writes in by_task.items():
            dst.put_writes(target, writes, task_id)
            counts["writes"] += len(writes)
    return counts


def thread_trace(saver, tid: str) -> Trace:
    """The comparable view of a thread: per checkpoint its ns, ids, parent, values, versions, metadata, writes."""
    trace = Trace()
    for tup in _tuples(saver, tid):
        conf = tup.config["configurable"]
        trace.add(f"{conf.get('checkpoint_ns', '')}/{conf['checkpoint_id']}", {
            "parent": tup.parent_config["configurable"]["checkpoint_id"] if tup.parent_config else None,
            "channel_values": tup.checkpoint.get("channel_values"),
            "channel_versions": tup.checkpoint.get("channel_versions"),
            "versions_seen": tup.checkpoint.get("versions_seen"),
            "metadata": tup.metadata,
            "pending_writes": sorted(((t, c, repr(v)) for t, c, v in tup.pending_writes or []), key=repr)})
    return trace


def copy_savers(src, dst, only: list[str] | None = None) -> dict[str, Any]:
    """Copy threads (all, or `only`) from src to dst and verify each by comparing traces; never deletes."""
    tids = list(only) if only else thread_ids(src)
    report: dict[str, Any] = {"threads": {}, "copied": 0, "verified": 0, "warnings": []}
    for tid in tids:
        counts = copy_thread(src, dst, tid)
        difference = diff(thread_trace(src, tid), thread_trace(dst, tid))
        if counts["checkpoints"] >= LIST_CAP:
            report["warnings"].append(f"thread {tid}: {counts['checkpoints']} checkpoints, list() may be capped")
        report["threads"][tid] = {**counts, "verified": difference is None, "diff": difference}
        report["copied"] += 1
        report["verified"] += difference is None
    return report


def migrate(src_backend, src_ctx: SaverContext, dst_backend, dst_ctx: SaverContext,
            thread_ids: list[str] | None = None) -> dict[str, Any]:
    """Copy threads between two registered backends (sync savers); both scopes are kept, nothing is deleted."""
    keep = lambda c: SaverContext(c.endpoint, c.scope, c.options, keep=True)  # noqa: E731
    with src_backend.saver("sync", keep(src_ctx)) as src, dst_backend.saver("sync", keep(dst_ctx)) as dst:
        report = copy_savers(src, dst, thread_ids)
    return {"from": src_backend.name, "to": dst_backend.name, **report}


def version_refusal(saver, tid: str, exc: BaseException) -> str | None:
    """The cause, when a moved thread failed in the saver's own get_next_version: the saver cannot go on from the
    channel versions it was given, written in another saver's form (PostgresSaver's "<counter>.<random>" strings to a
    saver keeping BaseCheckpointSaver's default, which takes int only). None when the error came from elsewhere."""
    from parity.injecting import common

    if not any(frame.name == "get_next_version" for frame in traceback.extract_tb(exc.__traceback__)):
        return None
    try:
        tup = saver.get_tuple(common.config(tid))
        versions = list((tup.checkpoint.get("channel_versions") or {}).values()) if tup else []
        # the form, not the value: a str's zero-padded head is the same in every thread, so one cause is said once
        form = ", ".join(sorted({f"str like {v[:12]!r}…" if isinstance(v, str) else type(v).__name__
                                 for v in versions})) or "none found"
    except Exception as read_error:  # the cause is still the refusal; the form is then unknown, and said so
        form = f"unread: {common.error_text(read_error)[:80]}"
    owner = getattr(getattr(type(saver), "get_next_version", None), "__qualname__", "?.").rsplit(".", 1)[0]
    return (f"{type(saver).__name__}'s get_next_version (defined in {owner}) cannot go on from the copied channel "
            f"versions ({form}): {common.error_text(exc)}")


def _resume(saver, tid: str) -> str | None:
    """None when a moved thread resumes on `saver` to its expected end; else what happened (the error a user sees
    there is the observation, with its cause when it is the saver's versioning, see version_refusal)."""
    from parity.injecting import common

    try:
        return None if common.resume_ok(saver, tid) else "resumed to a wrong state"
    except Exception as exc:  # recorded in the row: the study goes on to the rollback
        return version_refusal(saver, tid, exc) or common.error_text(exc)


def rollback_study(inc_backend, inc_ctx: SaverContext, cand_backend, cand_ctx: SaverContext, n: int = 4) -> dict[str, Any]:
    """Move incumbent -> candidate (the guide's Postgres -> Redis), keep working on the candidate, then "reinstall the
    incumbent's saver": what is missing there?"""
    from parity.injecting import common

    old, new = inc_backend.name, cand_backend.name
    with inc_backend.saver("sync", SaverContext(inc_ctx.endpoint, inc_ctx.scope, keep=True)) as inc:
        before = common.seed_threads(inc, n, "before")
    moved = migrate(inc_backend, inc_ctx, cand_backend, cand_ctx)
    with cand_backend.saver("sync", SaverContext(cand_ctx.endpoint, cand_ctx.scope, keep=True)) as cand:
        outcomes = {t: _resume(cand, t) for t in before[:2]}  # None: resumed to the expected end
        resumed = [t for t, why in outcomes.items() if why is None]
        after = common.seed_threads(cand, n, "after")
    with inc_backend.saver("sync", SaverContext(inc_ctx.endpoint, inc_ctx.scope, keep=True)) as inc:
        absent = [t for t in after if inc.get_tuple(common.config(t)) is None]
        stale = [t for t in resumed if inc.get_tuple(common.config(t)).checkpoint["channel_values"].get("answer") != "go"]
    back = migrate(cand_backend, cand_ctx, inc_backend, inc_ctx, thread_ids=after + resumed)
    return {"backend": f"{old}->{new}", "claim": "C14",
            "case": f"rollback by reinstalling the {old} saver after working on {new}",
            "observed": f"moved {moved['verified']}/{moved['copied']} threads (verified, resumed {len(resumed)}/"
                        f"{len(outcomes)} on {new}"
                        + "".join(f"; {t} did not resume: {why}" for t, why in outcomes.items() if why) + ")"
                        f"; after rollback {len(absent)}/{len(after)} threads created on {new} are absent in "
                        f"{old} and {len(stale)}/{len(resumed)} resumed threads show their pre-move state; a copy "
                        f"back verified {back['verified']}/{back['copied']}",
            "migration_verified": moved["verified"] == moved["copied"] == n, "created_after_move": len(after),
            "resumed_after_move": len(resumed), "moved_to_resume": len(outcomes),
            "resume_errors": sorted({why for why in outcomes.values() if why}),
            "absent_after_rollback": len(absent), "stale_after_rollback": len(stale),
            "copy_back_verified": back["verified"] == back["copied"]}
