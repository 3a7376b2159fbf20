"""The second oracle (parity/judging/invariants.py): InMemorySaver keeps every rule, each rule catches a saver that
breaks it (whatever the task ids), watching changes nothing a caller sees, and each rule cites its sentence."""

from __future__ import annotations

import operator
import re
from pathlib import Path
from typing import Annotated, TypedDict

import pytest
from langgraph.checkpoint.base import BaseCheckpointSaver, create_checkpoint, empty_checkpoint
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, StateGraph
from langgraph.types import Command, interrupt

from parity.backends.capabilities import ALL, Capability as C
from parity.judging import invariants
from parity.judging.calls import Calls
from tests import broken_savers as bs

ROOT = Path(__file__).resolve().parents[1]


def _cfg(thread: str, cid: str | None = None, ns: str = "") -> dict:
    conf = {"thread_id": thread, "checkpoint_ns": ns}
    return {"configurable": {**conf, "checkpoint_id": cid} if cid else conf}


def _chain(saver, thread: str, n: int) -> list[str]:
    """n checkpoints, each the child of the one before; their ids, oldest first."""
    parent, ids, cp = _cfg(thread), [], empty_checkpoint()
    for step in range(n):
        cp = create_checkpoint(cp, None, step)
        parent = saver.put(parent, cp, {"source": "loop", "step": step}, {})
        ids.append(cp["id"])
    return ids


def _names(calls: Calls, caps=ALL) -> list[str]:
    return [b.rule.name for b in invariants.broken(calls, caps)]


class _Log(TypedDict):
    log: Annotated[list[str], operator.add]


def _fan_out_graph(saver):
    g = StateGraph(_Log)
    for i in range(6):
        g.add_node(f"b{i}", lambda s, i=i: {"log": [f"b{i}"]})
        g.add_edge(START, f"b{i}")
    g.add_node("ask", lambda s: {"log": [interrupt("go?")]})
    g.add_edge(START, "ask")
    return g.compile(checkpointer=saver)


def test_the_reference_keeps_every_rule_through_a_graph_and_the_saver_api():
    calls = Calls()
    saver = calls.watch(InMemorySaver())
    app, cfg = _fan_out_graph(saver), {"configurable": {"thread_id": "fan"}}
    app.invoke({"log": []}, cfg)
    app.invoke(Command(resume="yes"), cfg)
    history = list(app.get_state_history(cfg))
    app.update_state(history[-2].config, {"log": ["fork"]})
    ids = _chain(saver, "chain", 5)
    list(saver.list(_cfg("chain"), limit=2)), list(saver.list(_cfg("chain"), before=_cfg("chain", ids[2])))
    list(saver.list(_cfg("chain"), limit=0)), list(saver.list(None)), saver.get_tuple(_cfg("chain", ids[1]))
    saver.delete_thread("chain")
    saver.get_tuple(_cfg("chain")), list(saver.list(_cfg("chain")))
    assert _names(calls) == []
    # the rules had something to judge: get_tuple returned the six branches' pending writes
    read = [c for c in calls.log if c.name == "get_tuple" and c.result and len(c.result.pending_writes or []) >= 6]
    assert read and {c.name for c in calls.log} >= {"put", "put_writes", "get_tuple", "list", "delete_thread"}


def _writes_by_path(saver) -> Calls:
    """Two tasks whose ids sort opposite to their paths: only writes_sort_key's order puts "a"'s write first."""
    calls = Calls()
    saver = calls.watch(saver)
    cid = _chain(saver, "w", 1)[0]
    saver.put_writes(_cfg("w", cid), [("log", "from b")], "task-1", "b")
    saver.put_writes(_cfg("w", cid), [("log", "from a")], "task-2", "a")
    saver.get_tuple(_cfg("w"))
    return calls


def test_writes_in_task_id_order_break_the_promise_every_time():
    assert _names(_writes_by_path(InMemorySaver())) == []
    broke = invariants.broken(_writes_by_path(bs.WritesInTaskIdOrder()), ALL)
    assert [(b.rule.name, b.rule.kind, b.call) for b in broke] == [("pending_writes_order", "promise", "get_tuple")]
    assert "task_path 'a'" in broke[0].detail and "task_path 'b'" in broke[0].detail, broke[0].detail


def _update_as_the_interrupted_node(saver) -> tuple[Calls, list]:
    """The calls compat/test_generated.py's graph operations made when the reference seemed to break the order: a node
    interrupts, update_state(as_node=that node) writes for the same task id under the path ("__interrupt__", 0), and a
    read of the interrupted checkpoint returns both writes. Also: (task id, the task_path of each put_writes call)."""
    calls = Calls()
    g = StateGraph(_Log)
    g.add_node("ask", lambda s: {"log": [interrupt("go?")]})
    g.add_edge(START, "ask")
    app = g.compile(checkpointer=calls.watch(saver))
    cfg = {"configurable": {"thread_id": "ask"}}
    app.invoke({"log": []}, cfg)
    interrupted = app.get_state(cfg).config
    app.update_state(cfg, {"log": ["by hand"]}, as_node="ask")
    app.checkpointer.get_tuple(interrupted)
    return calls, [(c.args["task_id"], c.args.get("task_path")) for c in calls.log if c.name == "put_writes"]


def test_a_task_writing_under_two_paths_is_judged_by_each_calls_path():
    """writes_sort_key: "`task_path` is the string passed to `put_writes`", so each write sorts by its own call's path:
    the update's write ("~__interrupt__, 0000000000", task, 0) before the task's interrupt ("~__pregel_pull, ask",
    task, -3). InMemorySaver orders them so; a saver ordering by (task_id, idx) puts the interrupt first."""
    calls, paths = _update_as_the_interrupted_node(InMemorySaver())
    ask = next(task for task, path in paths if path == "~__pregel_pull, ask")
    # The sequence has one task under two paths: the update's is "~__interrupt__, 0000000000" in langgraph 1.2;
    # langgraph 1.0.6 (the supported floor, .ci/lowest-versions.sh) passes none, which sorts as "" (first too).
    update = [path for task, path in paths if task == ask and path != "~__pregel_pull, ask"]
    assert len(update) == 1 and update[0] in ("~__interrupt__, 0000000000", None), paths
    read = calls.log[-1].result.pending_writes
    assert [(t, ch) for t, ch, _ in read] == [(ask, "log"), (ask, "__interrupt__")], read
    assert _names(calls) == []
    broke = invariants.broken(_update_as_the_interrupted_node(bs.WritesInTaskIdOrder())[0], ALL)
    assert [b.rule.name for b in broke] == ["pending_writes_order"], broke
    assert "idx -3" in broke[0].detail and f"{update[0] or ''!r}" in broke[0].detail, broke[0].detail


def _special_write_put_again(saver) -> Calls:
    """A task's interrupt put twice, the second time under another path ("c", then "a"), beside a task under "b"
    whose id sorts first: only the replacement's path puts the interrupt first."""
    calls = Calls()
    saver = calls.watch(saver)
    cid = _chain(saver, "s", 1)[0]
    saver.put_writes(_cfg("s", cid), [("__interrupt__", "ask")], "task-2", "c")
    saver.put_writes(_cfg("s", cid), [("log", "from b")], "task-1", "b")
    saver.put_writes(_cfg("s", cid), [("__interrupt__", "ask")], "task-2", "a")
    saver.get_tuple(_cfg("s"))
    return calls


def test_a_special_write_put_again_is_judged_at_its_replacement():
    """A special write (WRITES_IDX_MAP) put again replaces the earlier one, path and all (InMemorySaver, SqliteSaver),
    so it sorts under "a", before "b": judged there, not under its first call's "c"."""
    calls = _special_write_put_again(InMemorySaver())
    assert [w[0] for w in calls.log[-1].result.pending_writes] == ["task-2", "task-1"]
    assert _names(calls) == []
    broke = invariants.broken(_special_write_put_again(bs.WritesInTaskIdOrder()), ALL)
    assert [b.rule.name for b in broke] == ["pending_writes_order"], broke
    assert "task_path 'a'" in broke[0].detail, broke[0].detail


def _pair_then_delete(saver) -> Calls:
    calls = Calls()
    saver = calls.watch(saver)
    for thread in ("Alice@x.com", "alice@x.com", "José", "Jose\u0301"):
        _chain(saver, thread, 2)
    saver.get_tuple(_cfg("Alice@x.com")), list(saver.list(_cfg("José")))
    saver.delete_thread("alice@x.com")
    saver.get_tuple(_cfg("Alice@x.com"))
    return calls


def test_a_saver_that_folds_case_and_accents_breaks_promises_on_its_own_output():
    assert _names(_pair_then_delete(InMemorySaver())) == []
    names = _names(_pair_then_delete(bs.FoldsCase()))
    assert {"stored_under_its_config", "put_is_readable"} <= set(names), names


class _IgnoresLimitAndBefore(InMemorySaver):
    def list(self, config, *, filter=None, before=None, limit=None):
        return super().list(config, filter=filter)


class _ListsTwice(InMemorySaver):
    def list(self, config, **kw):
        items = list(super().list(config, **kw))
        return iter(items + items[:1])


class _ListsAllThreads(InMemorySaver):
    def list(self, config, **kw):
        return super().list(None, **kw)


class _ReadsAnotherId(InMemorySaver):
    def get_tuple(self, config):
        tup = super().get_tuple(config)
        return tup and tup._replace(config=_cfg(config["configurable"]["thread_id"], "1ef-not-put"))


def _listing(saver) -> Calls:
    calls = Calls()
    saver = calls.watch(saver)
    ids = _chain(saver, "l", 4)
    _chain(saver, "other", 1)
    list(saver.list(_cfg("l"), limit=2)), list(saver.list(_cfg("l"), before=_cfg("l", ids[1])))
    list(saver.list(_cfg("l"))), saver.get_tuple(_cfg("l"))
    return calls


@pytest.mark.parametrize("saver, rules, caps", [
    (_IgnoresLimitAndBefore, {"list_limit", "list_before"}, ALL),
    (_IgnoresLimitAndBefore, set(), ALL - {C.LIST_LIMIT, C.LIST_BEFORE}),  # not declared: not checked
    (_ListsTwice, {"checkpoint_ids_unique"}, ALL),
    (_ListsAllThreads, {"list_in_scope"}, ALL - {C.LIST_LIMIT}),
    (_ReadsAnotherId, {"returns_the_requested_checkpoint", "latest_is_first_listed"}, ALL),
    (bs.LosesParentLinks, {"parent_is_put_parent"}, ALL),
    (bs.LosesParentLinks, set(), ALL - {C.FULL_HISTORY}),  # a shallow saver keeps no parents by design
    (bs.WrongListOrder, {"list_newest_first", "latest_is_first_listed"}, ALL),
    (bs.WrongListOrder, set(), ALL - {C.LIST_LIMIT}),  # conventions only where a capability declares them
])
def test_each_rule_catches_the_saver_that_breaks_it(saver, rules, caps):
    assert _names(_listing(InMemorySaver()), caps) == []
    names = set(_names(_listing(saver()), caps))
    assert rules <= names and (rules or not names), (rules, names)


def test_findings_group_by_rule_and_call():
    """The summary is the rule's fixed sentence: two cells breaking one rule on one call have one headline."""
    one = invariants.broken(_writes_by_path(bs.WritesInTaskIdOrder()), ALL)[0]
    two = invariants.Broken(one.rule, one.call, "another detail", 5)
    heads = [invariants.headline([b.entry()]) for b in (one, two)]
    assert heads[0] == heads[1] and heads[0][1] == {"kind": "promise", "name": "pending_writes_order",
                                                     "call": "get_tuple"}, heads


def test_watching_changes_nothing_a_caller_sees():
    import inspect

    saver = Calls().watch(InMemorySaver())
    assert type(saver).__name__ == "InMemorySaver" and isinstance(saver, InMemorySaver)
    assert "task_path" in inspect.signature(saver.put_writes).parameters  # LangGraph passes task_path by it
    assert "task_path" in inspect.signature(saver.aput_writes).parameters
    assert type(saver).prune is BaseCheckpointSaver.prune  # "does it implement prune?" still answers no
    clone = saver.with_allowlist([("x", "Y")])  # a copy.copy the graph makes at compile: it records too
    _chain(clone, "c", 1)
    assert [c.name for c in saver._parity_calls.log] == ["put"]


async def test_async_calls_are_recorded_once_and_early_stopped_lists_are_not_judged():
    calls = Calls()
    saver = calls.watch(InMemorySaver())
    _chain(saver, "a", 3)
    await saver.aget_tuple(_cfg("a"))  # InMemorySaver's aget_tuple calls its get_tuple: one call
    async for _ in saver.alist(_cfg("a")):
        break
    assert [c.name for c in calls.log] == ["put"] * 3 + ["get_tuple", "list"] and calls.log[-1].end is None
    assert _names(calls) == []


def test_every_rule_cites_its_sentence_in_docs():
    text = (ROOT / "docs" / "judging.md").read_text()
    section = text.split("## Promises on a saver's own output", 1)[1]
    for rule in invariants.RULES:
        row = next((line for line in section.splitlines() if f"`{rule.name}`" in line), "")
        assert row and (rule.kind != "promise" or re.search(r'"[^"]{12,}"', row)), f"{rule.name}: {row!r}"
        assert rule.kind in row, (rule.name, row)


def test_a_real_run_names_the_rule_and_reports_conventions_apart(tmp_path):
    """On a real run's results.json: a broken promise and a broken convention are findings naming their rule, call
    and kind; the summary lists conventions under their own heading; the document passes its schema."""
    import json
    import subprocess
    import sys

    from parity import results
    from parity.render.markdown import render_markdown

    cmd = [sys.executable, "-m", "pytest", "compat/test_interrupts.py", "compat/test_history.py", "-q",
           "-p", "no:cacheprovider", "--parity-quick", "--parity-out", str(tmp_path),
           "-k", "(parallel_writes or test_state_history) and sync-",
           "--parity-saver", "order=tests.broken_savers:writes_in_task_id_order",
           "--parity-saver", "newest=tests.broken_savers:wrong_list_order", "--parity-backend", "order,newest"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)
    doc = json.loads((tmp_path / "results.json").read_text())
    contracts = {(f["backend"], f["scenario"]): f.get("contract") for f in doc["findings"]}
    assert contracts.get(("order", "test_parallel_writes_rebuild_in_path_order")) == {
        "kind": "promise", "name": "pending_writes_order", "call": "get_tuple"}, (contracts, proc.stdout[-2000:])
    assert contracts.get(("newest", "test_state_history"), {}).get("kind") == "convention", contracts
    results.load(tmp_path)  # validates against the schema
    text = render_markdown(doc)
    promises, conventions = text.split("#### Conventions not followed")
    assert "promise pending_writes_order broken by get_tuple" in promises
    assert "convention list_newest_first broken by list" in conventions, conventions[:800]


def test_generated_cells_check_the_rules_where_the_observations_agree():
    """parity.generated.runner.Judge: a saver whose get_tuple names another checkpoint inside the tuple than in its
    config (what the ops' views do not show) agrees with the reference and still fails, naming the rule."""
    import asyncio

    from parity.generated.ops import checkpoint_id
    from parity.generated.runner import Judge, Mismatch

    class OtherIdInside(InMemorySaver):
        def get_tuple(self, config):
            tup = super().get_tuple(config)
            return tup and tup._replace(checkpoint={**tup.checkpoint, "id": "1ef-other"})

    ops = [("put", "t", "", checkpoint_id(1), None, {"a": 1}, {}), ("get", "t", "", None)]
    loop = asyncio.new_event_loop()
    try:
        Judge(loop, InMemorySaver(), InMemorySaver(), False).both("p~", ops)  # the control: nothing
        judge = Judge(loop, InMemorySaver(), OtherIdInside(), False)
        with pytest.raises(Mismatch, match="promise returns_the_requested_checkpoint broken by get_tuple"):
            judge.both(judge.prefix(), ops)
    finally:
        loop.close()
    assert judge.failures[-1][3].rule.name == "returns_the_requested_checkpoint"
