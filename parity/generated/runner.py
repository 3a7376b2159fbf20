"""Run a generated property on one matrix cell: every example on the reference and on the cell's saver, judged exactly."""

from __future__ import annotations

import contextlib
import reprlib
import uuid
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, seed, settings
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.errors import Flaky

from parity.roles import REFERENCE
from parity import no_loop
from parity.backends.backend import SaverContext
from parity.backends.capabilities import ALL
from parity.judging import invariants
from parity.judging.calls import Calls
from parity.judging.findings import DivergenceError, Finding, match_known
from parity.judging.invariants import Broken
from parity.generated.exact import exact
from parity.generated.ops import run_op, run_ops
from parity.generated.properties import Property
from parity.generated.strategies import kinship

_short = reprlib.Repr()  # short reprs for summaries (attributes, not keywords: Python 3.10/3.11 take none)
_short.maxstring, _short.maxother, _short.maxlist, _short.maxdict, _short.maxlevel = 80, 80, 6, 6, 4


class Mismatch(AssertionError):
    """One example where the cell's observations differ from the reference's."""


class ReferenceRaised(Exception):
    """The reference itself raised: the property generated an input outside the API's contract (a harness bug)."""


def examples(cell, prop: Property) -> int:
    """This cell's example count: the profile's (or --parity-examples) share for this property."""
    return max(1, round(cell.session.options.examples * prop.weight))


def property_seed(run_seed: int, prop: Property) -> int:
    """One seed per property and run: every backend and flavour sees the same examples."""
    return (run_seed * 1_000_003 + zlib.crc32(prop.name.encode())) % 2**32


def database(cell) -> DirectoryBasedExampleDatabase | None:
    """Hypothesis' example database (--parity-hypothesis-db, a per-user cache by default): it outlives the run's
    folder, so a failure replays first in the next run; keyed by property, backend and flavour."""
    path = cell.session.options.hypothesis_db
    return DirectoryBasedExampleDatabase(str(path)) if path else None


class Judge:
    """The reference and the cell's saver, open for all examples of a test, and the failures seen so far."""

    def __init__(self, loop, ref, saver, is_async: bool, capabilities=ALL) -> None:
        # Each saver's calls are recorded: its own output is judged against LangGraph's promises too
        # (parity.judging.invariants; the rules of capabilities the backend lacks are not checked).
        self.calls = {"expected": Calls(), "actual": Calls()}
        self.ref, self.saver = self.calls["expected"].watch(ref), self.calls["actual"].watch(saver)
        self.loop, self.is_async, self.capabilities = loop, is_async, capabilities
        # The async cells' calls run on the cell's loop; the sync cells' are driven with no loop (parity.no_loop).
        self.run = loop.run_until_complete if is_async else no_loop.drive
        self.failures: list[tuple[list, list, list, Broken | None]] = []
        self.count = 0
        # This judge's own part of every thread id: a saver whose store outlives the cell (one store for every cell,
        # a server namespace it does not scope) sees each cell's threads apart, so it is judged on this cell's data
        # only. Random (not a counter): cells in other processes and runs share such a store too.
        self.cell = uuid.uuid4().hex[:6]
        self.apps: dict[int, Any] = {}  # id(saver) -> a graph compiled on it (parity.generated.graph_machine)

    def prefix(self) -> str:
        """A new example's thread-id prefix: examples (and cells) share the savers, never a thread."""
        for calls in self.calls.values():  # the rules judge one example's calls
            calls.log.clear()
        self.count += 1
        return f"g{self.cell}-{self.count}~"

    def both(self, prefix: str, ops: list) -> None:
        """Run a whole op list on both savers and compare."""
        expected = self.run(run_ops(self.ref, self.is_async, prefix, ops))
        actual = self.run(run_ops(self.saver, self.is_async, prefix, ops))
        self.compare(ops, expected, actual)
        self.contract(ops, expected, actual)

    def step(self, prefix: str, done: list, op: tuple, state: dict, run=None, view=None) -> None:
        """Run one more op of a sequence on both savers (state: observations and version counters so far).
        run(side, saver) makes the op's coroutine (default: a saver-API op); view(side, observation) is what is
        compared of it (default: all of it)."""
        for side, saver in (("expected", self.ref), ("actual", self.saver)):
            coro = run(side, saver) if run else run_op(saver, self.is_async, prefix, op, state.setdefault(side + "_v", {}))
            got = self.run(coro)
            state.setdefault(side, []).append(view(side, got) if view else got)
        done.append(op)
        if exact(state["expected"][-1]) != exact(state["actual"][-1]) or _raised(state["expected"][-1:]):
            self.compare(list(done), list(state["expected"]), list(state["actual"]))
        self.contract(list(done), list(state["expected"]), list(state["actual"]))

    def compare(self, ops: list, expected: list, actual: list) -> None:
        raised = _raised(expected)
        if raised:
            raise ReferenceRaised(f"the reference raised {raised[0]['raised']} on {_short.repr(ops)}")
        if exact(expected) != exact(actual):
            self.failures.append((ops, expected, actual, None))
            raise Mismatch(first_difference(ops, expected, actual))

    def contract(self, ops: list, expected: list, actual: list) -> None:
        """Once the observations agree: each saver's calls of this example against LangGraph's promises."""
        ref = invariants.broken(self.calls["expected"], ALL)
        if ref:
            raise ReferenceRaised(f"the reference breaks {ref[0].rule.name} ({ref[0].detail}) on {_short.repr(ops)}")
        broke = invariants.broken(self.calls["actual"], self.capabilities)
        if broke:
            self.failures.append((ops, expected, actual, broke[0]))
            raise Mismatch(_broken_summary(broke[0]))


def _raised(observations: list) -> list:
    return [o for o in observations if isinstance(o, dict) and set(o) == {"raised"}]


def hypothesis_settings(cell, n: int) -> settings:
    return settings(max_examples=n, database=database(cell),
                    deadline=None,  # server round trips vary; a hung saver is caught by the cell's time limit
                    report_multiple_bugs=False,
                    print_blob=False)


def run_property(cell, loop_factory, prop: Property) -> None:
    """Judge the cell on `prop`; record a finding (shrunk example, repro script) and fail when it diverges."""
    def build(judge: Judge):
        def check(ops):
            judge.both(judge.prefix(), ops)

        # Hypothesis keys its database by the test function; distinguish property, backend and flavour.
        check._hypothesis_internal_add_digest = f"{prop.name}|{cell.backend.name}|{cell.flavour}".encode()
        return hypothesis_settings(cell, examples(cell, prop))(
            seed(property_seed(cell.session.seed, prop))(given(prop.ops)(check)))
    judged(cell, loop_factory, prop, build)


def run_machine(cell, loop_factory, name: str = "machine") -> None:
    """Judge the cell on a state machine, step by step: parity.generated.machine (the saver API) or
    parity.generated.graph_machine (graph operations)."""
    import importlib

    machine = importlib.import_module(f"parity.generated.{name}")
    prop = machine.PROPERTY
    judged(cell, loop_factory, prop, lambda judge: machine.build(
        cell, judge, examples(cell, prop), property_seed(cell.session.seed, prop), hypothesis_settings))


def judged(cell, loop_factory, prop, build) -> None:
    """Open both savers on the cell's loop, run the Hypothesis test `build(judge)` returns, turn a failure into
    a finding (the last failure Hypothesis saw is its shrunk example)."""
    cell.require(*prop.requires)  # a not-applicable skip with its structured reason (parity/reasons.py)
    loop = loop_factory() if cell.flavour == "async" else None  # a sync cell runs no loop, as a sync app
    try:
        with contextlib.ExitStack() as stack:
            ref = stack.enter_context(_opened(loop, cell, cell.session.registry.get(REFERENCE)))
            saver = stack.enter_context(_opened(loop, cell, cell.backend))
            judge = Judge(loop, ref, saver, cell.flavour == "async", cell.backend.capabilities)
            try:
                with _shrink_cap(cell.session.options.shrink_seconds):
                    build(judge)()
            except ReferenceRaised as exc:
                pytest.fail(f"property {prop.name} is broken: {exc}", pytrace=False)
            except (Mismatch, Flaky) as exc:
                cell.runs, cell.diverged_runs = judge.count, len(judge.failures)
                if judge.failures:
                    _fail(cell, prop, *judge.failures[-1], intermittent=isinstance(exc, Flaky))
                raise
            cell.runs = judge.count
    finally:
        if loop is not None:
            loop.close()


@contextlib.contextmanager
def _shrink_cap(seconds: int):
    """Hypothesis' shrink-time cap is a module constant (no setting): lowered for the test, then restored."""
    from hypothesis.internal.conjecture import engine

    old, engine.MAX_SHRINKING_SECONDS = engine.MAX_SHRINKING_SECONDS, seconds
    try:
        yield
    finally:
        engine.MAX_SHRINKING_SECONDS = old


@contextlib.contextmanager
def _opened(loop, cell, backend):
    """A saver of the cell's flavour on a fresh scope, open for all examples of the test (ids differ per example)."""
    ctx = SaverContext(cell.endpoint if backend is cell.backend else None, cell.session.new_scope())
    cm = backend.saver(cell.flavour, ctx)
    if cell.flavour == "async":
        saver = loop.run_until_complete(cm.__aenter__())
        try:
            yield saver
        finally:
            loop.run_until_complete(cm.__aexit__(None, None, None))
    else:
        with cm as saver:
            yield saver


def first_difference(ops: list, expected: list, actual: list) -> str:
    for i, (op, e, a) in enumerate(zip(ops, expected, actual)):
        if exact(e) != exact(a):
            where = _where(exact(e), exact(a))
            return f"op {i} {op[0]}{_about_ids(ops, op)}: {where}"
    return "observations differ"


def _about_ids(ops: list, op: tuple) -> str:
    """What the op's thread id has to do with it, in the user's terms: its length (the user's id, without the
    run's prefix) when long, and another id of the example that differs from it only by case, accents, spaces..."""
    thread = op[1] if len(op) > 1 and isinstance(op[1], str) else None
    if thread is None:
        return ""
    notes = [f"thread id of {len(thread)} characters"] if len(thread) > 64 else []
    for other in dict.fromkeys(o[1] for o in ops if len(o) > 1 and isinstance(o[1], str)):
        kin = kinship(thread, other)
        if kin:
            notes.append(f"{_short.repr(thread)} and {_short.repr(other)} differ only by {kin}")
            break
    return f" ({'; '.join(notes)})" if notes else ""


def _where(e: Any, a: Any, path: str = "") -> str:
    """The first place two exact trees differ, as a readable path (keys and indexes): expected vs actual."""
    here = path or "value"
    if not (_is_node(e) and _is_node(a)) or e[0] != a[0]:
        return f"{here}: {_show(e)} vs {_show(a)}"
    if e[0] == "builtins.float":
        return f"{here}: {_float(e[1])} vs {_float(a[1])}"
    if e[0] in ("builtins.list", "builtins.tuple", "builtins.dict") and len(e[1]) != len(a[1]):
        return f"{here}: {len(e[1])} items vs {len(a[1])}"
    if e[0] in ("builtins.list", "builtins.tuple"):
        i = next(i for i, (x, y) in enumerate(zip(e[1], a[1])) if x != y)
        return _where(e[1][i], a[1][i], f"{path}[{i}]")
    if e[0] == "builtins.dict":
        i = next(i for i, (x, y) in enumerate(zip(e[1], a[1])) if x != y)
        (ek, ev), (ak, av) = e[1][i], a[1][i]
        return _where(ev, av, f"{path}[{_key(ek)}]") if ek == ak else f"{here}: key {_show(ek)} vs {_show(ak)}"
    return f"{here}: {_show(e)} vs {_show(a)}"


def _key(node: Any) -> str:
    return repr(node[1]) if _is_node(node) and node[0] == "builtins.str" else _show(node)


def _show(node: Any) -> str:
    """An exact-tree node as the short value a reader recognises (the type name when it is not builtin)."""
    if _is_node(node) and node[0] == "builtins.dict" and len(node[1]) == 1 and node[1][0][0] == ["builtins.str", "raised"]:
        return f"raised {node[1][0][1][1]}"  # an op's exception, as ops.run_op records it
    if _is_node(node) and node[0] in ("builtins.list", "builtins.tuple", "builtins.dict", "builtins.set"):
        return f"{node[0].removeprefix('builtins.')} of {len(node[1])}"
    if _is_node(node) and node[0].startswith("builtins.") and node[0] not in ("builtins.list", "builtins.dict",
                                                                              "builtins.set", "builtins.tuple"):
        kind = node[0].removeprefix("builtins.")
        return _float(node[1]) if kind == "float" else f"{kind} {_short.repr(node[1])}"
    return _short.repr(node)


def _is_node(x: Any) -> bool:
    return isinstance(x, list) and len(x) >= 2 and isinstance(x[0], str) and "." in x[0]


def _float(bits: str) -> str:
    import struct

    return "nan" if bits == "nan" else repr(struct.unpack(">d", bytes.fromhex(bits))[0])


def hunks(ops: list, expected: list, actual: list) -> list[str]:
    """One piece per differing op, in the shape of parity.differences hunks, for known-divergence matching."""
    return [f"@@ op {i} {op[0]} {_short.repr(op[1:3])}\n- {e!r}\n+ {a!r}"[:4000]
            for i, (op, e, a) in enumerate(zip(ops, expected, actual)) if exact(e) != exact(a)]


def _broken_summary(broke: Broken) -> str:
    """A broken rule as a finding's summary: kind, name and call first (findings group by them), then the rule."""
    return f"{broke.rule.kind} {broke.rule.name} broken by {broke.call}: {broke.rule.says}"


def _fail(cell, prop: Property, ops: list, expected: list, actual: list, broke: Broken | None = None,
          intermittent: bool = False) -> None:
    from parity.generated import graph_repro, repro

    pieces = hunks(ops, expected, actual)
    summary = f"generated {prop.name}: {first_difference(ops, expected, actual)}"[:300]
    if broke is not None:  # the observations agree; the saver's own output broke a rule of LangGraph
        label, value = broke.entry()
        pieces = [f"@@ {label}\n+ {value!r}"[:4000]]
        summary = f"generated {prop.name}: {_broken_summary(broke)}"[:300]
    if intermittent:
        summary += " (intermittent: did not fail again on replay)"
    loop = cell.loop if cell.flavour == "async" else None
    finding = Finding(cell.backend.name, cell.flavour, loop, cell.scenario, "C12", summary, "\n".join(pieces),
                      seen=len(pieces) and 1, runs=1)
    finding.example = repr(ops)[:20_000]
    finding.examples_run = cell.runs
    finding.contract = broke and {"kind": broke.rule.kind, "name": broke.rule.name, "call": broke.call}
    finding.known = match_known(finding, cell.session.known_for(finding.backend), [pieces])
    out = cell.session.options.out
    if out is not None and broke is None:  # a repro compares observations; a broken rule's are the same
        make = graph_repro.script if prop.kind == "graph" else repro.script
        finding.repro = repro.write(Path(out), finding, cell.backend, ops, make)
    cell.finding = finding
    if finding.known:
        pytest.xfail(f"known divergence: {finding.known['reason']}")
    raise DivergenceError(finding)
