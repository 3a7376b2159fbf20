"""A RuleBasedStateMachine over graph operations on a real compiled graph, judged step by step against InMemorySaver."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from parity.backends.capabilities import Capability as C
from parity.generated import strategies as gs
from parity.generated.graph_ops import Tokens, run_graph_op
from parity.generated.machine import bind
from parity.generated.properties import Property

THREADS = ("a", "a:b")  # two threads: a saver that mixes them up shows, and steps meet the same thread often
# run through, interrupt in the graph, in the subgraph, or in one of the parallel Send tasks (the others finish)
PAUSES = st.sampled_from(["", "parent", "child", "fan"])
# Half of the values are lists of edge numbers (NaN, -0.0, 2**53 + 1, ...): in a nested value a float is one leaf
# type of many, and these are where stores lose bits.
VALUES = st.one_of(gs.values(6), st.lists(st.sampled_from(gs.EDGE_FLOATS + gs.EDGE_INTS), min_size=1, max_size=4))
STEPS = 10  # rules per example: each is a graph run or read on both savers (a full run is ~10 saver calls)


class GraphMachine(RuleBasedStateMachine):
    """A user's graph operations on parity.graphs.generated_values_graph (state of generated values; a subgraph, a
    stateful subgraph and a Send fan-out in one superstep, writing an appending reducer and a DeltaChannel):
    invoke and stream (interrupting in the graph, in the subgraph or in a Send task, or not), resume with a value,
    update_state, fork (update_state on a past checkpoint, then run on from it), replay from a past checkpoint,
    each followed by get_state(subgraphs=True), and get_state_history (every past state's next and tasks); every
    step's observation (ids tokenised; a superstep's streamed chunks as a multiset) equals InMemorySaver's,
    exactly."""

    judge = None  # set per cell by build() (Hypothesis builds the machine without arguments)
    caps: frozenset = frozenset()

    def __init__(self) -> None:
        super().__init__()
        self.prefix = self.judge.prefix()
        self.ops: list[tuple] = []
        self.seen: dict = {}
        self.tokens = {"expected": Tokens(), "actual": Tokens()}
        self.started: set[str] = set()
        self.paused: set[str] = set()

    def do(self, op: tuple) -> None:
        judge = self.judge

        def run(side, saver):
            return run_graph_op(_app(judge, saver), judge.is_async, self.prefix, op)

        self.started.add(op[1])
        judge.step(self.prefix, self.ops, op, self.seen, run=run, view=lambda side, got: self.tokens[side](got))
        last = self.seen["expected"][-1]  # the reference's observation: does the thread wait on an interrupt now?
        if isinstance(last, dict) and "state" in last:
            (self.paused.add if last["state"]["interrupts"] else self.paused.discard)(op[1])

    @rule(thread=st.sampled_from(THREADS), value=VALUES, pause=PAUSES)
    def invoke(self, thread, value, pause):
        self.do(("invoke", thread, value, pause))

    @rule(thread=st.sampled_from(THREADS), value=VALUES, pause=PAUSES, mode=st.sampled_from(["values", "updates"]))
    def stream(self, thread, value, pause, mode):
        self.do(("stream", thread, value, pause, mode))

    @precondition(lambda self: self.paused)
    @rule(data=st.data(), value=VALUES)
    def resume(self, data, value):
        self.do(("resume", data.draw(st.sampled_from(sorted(self.paused))), value))

    @precondition(lambda self: self.started)
    @rule(data=st.data(), value=VALUES, as_node=st.sampled_from(["work", "ask"]))
    def update(self, data, value, as_node):
        self.do(("update", data.draw(st.sampled_from(sorted(self.started))), value, as_node))

    @precondition(lambda self: self.started and C.FULL_HISTORY in self.caps)
    @rule(data=st.data(), back=st.integers(0, 8), value=VALUES)
    def fork(self, data, back, value):
        self.do(("fork", data.draw(st.sampled_from(sorted(self.started))), back, value))

    @precondition(lambda self: self.started and C.FULL_HISTORY in self.caps)
    @rule(data=st.data(), back=st.integers(0, 8))
    def replay(self, data, back):
        self.do(("replay", data.draw(st.sampled_from(sorted(self.started))), back))

    @precondition(lambda self: self.started and C.FULL_HISTORY in self.caps)
    @rule(data=st.data(), limit=st.one_of(st.none(), st.integers(1, 5)))
    def history(self, data, limit):
        self.do(("history", data.draw(st.sampled_from(sorted(self.started))), limit))


def _app(judge, saver):
    """The graph compiled on `saver`, once per cell (compiling per step would dominate small examples)."""
    if id(saver) not in judge.apps:
        from parity.graphs import generated_values_graph

        judge.apps[id(saver)] = generated_values_graph().compile(checkpointer=saver)
    return judge.apps[id(saver)]


PROPERTY = GRAPH_OPS = Property("graph_operations", GraphMachine.__doc__, st.nothing(), weight=0.2, kind="graph")


def build(cell, judge, n: int, seed_value: int, hypothesis_settings):
    """The Hypothesis test of GraphMachine bound to this cell, STEPS rules per example."""
    return bind(GraphMachine, PROPERTY, cell, judge, n, seed_value, hypothesis_settings, stateful_step_count=STEPS)
