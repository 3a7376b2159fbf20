"""The saver API called directly, in the order LangGraph calls it: put, put_writes, get_tuple, list, prune."""

import pytest
from langgraph.checkpoint.base import create_checkpoint, empty_checkpoint

from parity.judging.direct import fail_with_finding
from parity.judging.observe import tuple_view
from parity.reasons import not_applicable


def _chain(saver, n: int):
    """n checkpoints as LangGraph makes them: each from the previous one, versions from saver.get_next_version."""
    cp = empty_checkpoint()
    out = []
    version = None
    for step in range(-1, n - 1):
        cp = create_checkpoint(cp, None, step)
        version = saver.get_next_version(version, None)
        cp["channel_values"] = {"n": step, "log": list(range(step + 2))}
        cp["channel_versions"] = {"n": version, "log": version}
        out.append((cp, {"source": "input" if step < 0 else "loop", "step": step, "parents": {}}))
    return out


async def call_order(g) -> None:
    cfg = g.config("api", checkpoint_ns="")
    parent = cfg
    for i, (cp, meta) in enumerate(_chain(g.saver, 4)):
        # LangGraph's order per step: put the checkpoint (config carries the parent id), then the tasks' writes.
        stored = await g.put(parent, cp, meta, dict(cp["channel_versions"]))
        g.trace.add(f"put {i} returns", stored)
        await g.put_writes(stored, [("log", i), ("n", i * 10)], f"task-{i}-a", "path-a")
        await g.put_writes(stored, [("log", -i)], f"task-{i}-b", "path-b")
        await g.put_writes(stored, [("log", "again")], f"task-{i}-b", "path-b")  # same task again: idempotent
        parent = stored
    g.trace.add("get_tuple latest", tuple_view(await g.get_tuple(cfg), links=True))
    first = (await g.list(cfg))[-1]
    g.trace.add("get_tuple by id (oldest)", tuple_view(await g.get_tuple(first.config), links=True))
    g.trace.add("list newest first", [tuple_view(t, links=True) for t in await g.list(cfg)])
    g.trace.add("unknown checkpoint id", await g.get_tuple(g.config("api", checkpoint_ns="",
                                                                   checkpoint_id="1f000000-0000-6000-8000-000000000000")))
    g.trace.add("unknown thread", await g.get_tuple(g.config("nobody", checkpoint_ns="")))


@pytest.mark.requires("full_history")
async def test_saver_call_order(parity_cell):
    """Contract: put returns the stored config; put_writes attaches writes to that checkpoint (a repeated task write does not duplicate); get_tuple returns the latest or a given id with its parent link; list is newest first."""
    await parity_cell.check(call_order)


async def latest_only(g) -> None:
    cfg = g.config("api2", checkpoint_ns="")
    parent = cfg
    for i, (cp, meta) in enumerate(_chain(g.saver, 3)):
        parent = await g.put(parent, cp, meta, dict(cp["channel_versions"]))
        await g.put_writes(parent, [("log", i)], f"task-{i}", "")
    g.trace.add("latest tuple carries only its own writes", tuple_view(await g.get_tuple(cfg)))


async def test_latest_tuple_has_only_its_writes(parity_cell):
    """Contract: get_tuple of the latest checkpoint returns that checkpoint's pending writes only, never writes of an earlier checkpoint."""
    await parity_cell.check(latest_only)


async def test_prune_semantics(parity_cell):
    """Contract: prune(keep_latest) leaves exactly the newest checkpoint per namespace of each pruned thread, prune(delete) removes the thread, other threads are untouched (checked directly: the reference InMemorySaver has no prune)."""
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from parity.judging.judge import run_scenario

    cell = parity_cell
    seen: dict = {}

    async def scenario(g) -> None:
        if type(g.saver).prune is BaseCheckpointSaver.prune and type(g.saver).aprune is BaseCheckpointSaver.aprune:
            seen["skip"] = f"{type(g.saver).__name__} does not implement prune"
            return
        for t in ("p1", "p2", "p3"):
            parent = g.config(t, checkpoint_ns="")
            for cp, meta in _chain(g.saver, 3):
                parent = await g.put(parent, cp, meta, {})
        newest = (await g.list(g.config("p1", checkpoint_ns="")))[0].config
        seen["p3_before"] = len(await g.list(g.config("p3", checkpoint_ns="")))
        prune = (lambda ids, strategy: g.saver.aprune(ids, strategy=strategy)) if g.is_async else \
            (lambda ids, strategy: _sync(g.saver.prune, ids, strategy))
        await prune([g.thread("p1")], "keep_latest")
        await prune([g.thread("p2")], "delete")
        seen["p1"] = [t.config for t in await g.list(g.config("p1", checkpoint_ns=""))]
        seen["newest"] = newest
        seen["p2"] = len(await g.list(g.config("p2", checkpoint_ns="")))
        seen["p3"] = len(await g.list(g.config("p3", checkpoint_ns="")))

    trace = await run_scenario(cell.session, cell.backend, cell.flavour, scenario, cell.endpoint)
    cell.runs = 1
    if "skip" in seen:
        not_applicable("capability", "saver api", seen["skip"])
    problems = []
    if "p1" not in seen:
        problems.append(f"the scenario raised: {trace.entries[-1][1] if trace.entries else '?'}")
    else:
        if seen["p1"] != [seen["newest"]]:
            problems.append(f"keep_latest: expected only {seen['newest']}, got {seen['p1']}")
        if seen["p2"] != 0:
            problems.append(f"delete: expected 0 checkpoints left, got {seen['p2']}")
        if seen["p3"] != seen["p3_before"]:
            problems.append(f"untouched thread: expected {seen['p3_before']} checkpoints, got {seen['p3']}")
    if problems:
        fail_with_finding(cell, "test_prune_semantics", problems[0], "\n".join(problems))


async def _sync(fn, ids, strategy):
    return fn(ids, strategy=strategy)
