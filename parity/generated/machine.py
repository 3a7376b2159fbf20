"""A RuleBasedStateMachine over the saver API in LangGraph's call order, judged step by step against InMemorySaver."""

from __future__ import annotations

import string

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from parity.backends.capabilities import Capability as C
from parity.generated import strategies as gs
from parity.generated.ops import checkpoint_id
from parity.generated.properties import Property

TASK_PATHS = {"t1": "~__pregel_pull, z", "t2": "~__pregel_pull, a"}  # paths sort opposite to the task ids
THREADS = ("a", "a:b", "a b", "ü|*", "x" * 120)  # a few ids, collisions in reach, so steps meet the same threads
WRITES = st.lists(st.tuples(st.text(string.ascii_lowercase, min_size=1, max_size=4), gs.values(4)), min_size=1, max_size=3)


class SaverMachine(RuleBasedStateMachine):
    """LangGraph's order: put a checkpoint (child of the thread's latest, or a fork of an older one), put_writes
    for it (a task may write again), get_tuple latest / by id, list with filter / before / limit, delete_thread,
    prune (where capable: judged against prune's documented contract applied to InMemorySaver, which has none);
    every step's observations equal InMemorySaver's."""

    judge = None  # set per cell by run_machine (a RuleBasedStateMachine is built by Hypothesis without arguments)
    caps: frozenset = frozenset()

    def __init__(self) -> None:
        super().__init__()
        self.prefix = self.judge.prefix()
        self.ops: list[tuple] = []
        self.state: dict = {}
        self.threads: dict[str, list[str]] = {}  # thread -> checkpoint ids, oldest first
        self.n = 0

    def do(self, op: tuple) -> None:
        self.judge.step(self.prefix, self.ops, op, self.state)

    @rule(thread=st.sampled_from(THREADS), values=gs.states(4), meta=gs.metadata(), fork=st.integers(0, 3))
    def put(self, thread, values, meta, fork):
        ids = self.threads.setdefault(thread, [])
        parent = ids[max(len(ids) - 1 - fork, 0)] if ids else None
        self.n += 1
        self.do(("put", thread, "", checkpoint_id(self.n), parent, values, meta))
        ids.append(checkpoint_id(self.n))

    @precondition(lambda self: any(self.threads.values()))
    @rule(data=st.data(), writes=WRITES, task=st.sampled_from(["t1", "t2"]))
    def put_writes(self, data, writes, task):
        thread = data.draw(st.sampled_from(sorted(t for t, ids in self.threads.items() if ids)))
        self.do(("put_writes", thread, "", data.draw(st.sampled_from(self.threads[thread])), writes, task,
                 TASK_PATHS[task]))

    @rule(thread=st.sampled_from(THREADS))
    def get_latest(self, thread):
        self.do(("get", thread, "", None))

    @precondition(lambda self: any(self.threads.values()))
    @rule(data=st.data())
    def get_by_id(self, data):
        thread = data.draw(st.sampled_from(sorted(t for t, ids in self.threads.items() if ids)))
        self.do(("get", thread, "", data.draw(st.sampled_from(self.threads[thread]))))

    @rule(data=st.data(), thread=st.sampled_from(THREADS), limit=st.one_of(st.none(), st.integers(1, 4)))
    def list(self, data, thread, limit):
        ids = self.threads.get(thread) or []
        before = data.draw(st.one_of(st.none(), st.sampled_from(ids))) if ids and C.LIST_BEFORE in self.caps else None
        flt = data.draw(st.one_of(st.none(), gs.metadata())) if C.LIST_FILTER in self.caps else None
        self.do(("list", thread, "", flt, before, limit if C.LIST_LIMIT in self.caps else None))

    @precondition(lambda self: C.DELETE_THREAD in self.caps)
    @rule(thread=st.sampled_from(THREADS))
    def delete(self, thread):
        self.do(("delete", thread))
        self.threads.pop(thread, None)

    @precondition(lambda self: C.PRUNE in self.caps and any(self.threads.values()))
    @rule(data=st.data(), strategy=st.sampled_from(["keep_latest", "delete"]))
    def prune(self, data, strategy):
        thread = data.draw(st.sampled_from(sorted(t for t, ids in self.threads.items() if ids)))
        self.do(("prune", thread, strategy))
        ids = self.threads[thread]  # what is left to read by id or fork from
        ids[:] = ids[-1:] if strategy == "keep_latest" else []


PROPERTY = SAVER_API = Property("saver_api", SaverMachine.__doc__, st.nothing(), requires=(C.FULL_HISTORY,), weight=0.4)


def bind(base: type, prop: Property, cell, judge, n: int, seed_value: int, hypothesis_settings, **more):
    """The Hypothesis test of the state machine `base` bound to this cell's judge and capabilities (`more`:
    further Hypothesis settings, e.g. stateful_step_count)."""
    machine = type(base.__name__, (base,), {"judge": judge, "caps": cell.backend.capabilities})

    def factory():
        return machine()
    factory._hypothesis_internal_use_seed = seed_value  # what hypothesis.seed() sets; it reads it from the factory
    # Hypothesis keys a machine's database entries by the factory's source (the same for every cell and machine):
    # tell property, backend and flavour apart, so a failure replays where it happened.
    factory._hypothesis_internal_add_digest = f"{prop.name}|{cell.backend.name}|{cell.flavour}".encode()

    def test():
        run_state_machine_as_test(factory, settings=settings(hypothesis_settings(cell, n), **more))
    return test


def build(cell, judge, n: int, seed_value: int, hypothesis_settings):
    """The Hypothesis test of SaverMachine bound to this cell."""
    return bind(SaverMachine, PROPERTY, cell, judge, n, seed_value, hypothesis_settings)
