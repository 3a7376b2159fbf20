"""Small real graphs more than one part of the suite runs (the smoke scenario, the fault studies), and what they share."""

from __future__ import annotations

import functools
import operator
import threading
from typing import Annotated, Any, Callable, TypedDict




class State(TypedDict):
    n: int
    answer: str
    pad: str


def count_then_ask():
    """START -> count -> ask (interrupt) -> END: one run writes 3 checkpoints and pending writes, then pauses."""
    from langgraph.graph import END, START, StateGraph
    from langgraph.types import interrupt

    def count(state: State) -> dict:
        return {"n": state["n"] + 1}

    def ask(state: State) -> dict:
        return {"answer": interrupt({"question": "go on?", "n": state["n"]})}

    g = StateGraph(State)
    g.add_node("count", count)
    g.add_node("ask", ask)
    g.add_edge(START, "count")
    g.add_edge("count", "ask")
    g.add_edge("ask", END)
    return g


class Child(TypedDict, total=False):
    """The subgraph's state in generated_values_graph."""

    value: Any
    n: int
    pause: str
    answer: Any


class MemoIn(TypedDict, total=False):
    """What the stateful subgraph takes from its parent."""

    value: Any


class MemoOut(TypedDict, total=False):
    """What the stateful subgraph gives back: every value it has seen on this thread (its own state)."""

    memo: list


class Memo(MemoIn, total=False):
    """The stateful subgraph's own state: every value it has been given on this thread, kept across runs."""

    memo: Annotated[list, operator.add]


def appended(state: list, writes) -> list:
    """A DeltaChannel's reducer that keeps the order it is given (order-sensitive on purpose, as a message log)."""
    return [*state, *writes]


FAN = 5  # Send tasks per run of generated_values_graph: with child and memo, 7 tasks write in one superstep; the
# fan tasks' ids order them as their paths do in 1 run of 120 (a store ordering writes by task id is rarely lucky)


def generated_values_graph():
    """START -> work -> {child, memo, FAN x spread (Send)} -> ask -> END, on a state of generated values
    (compat/test_generated.py).

    `value` and `answer` hold whatever the caller gives; `log` keeps every value work saw and one entry per spread
    task (a reducer, so history grows and parallel writes meet in it); `fan` is a DeltaChannel the spread tasks
    append to (rebuilt from the stored writes, in the order get_tuple returns them); `memo` is what the stateful
    subgraph (compiled with checkpointer=True: its state outlives each run, and a replay or fork of the parent
    must run it on its state as of that checkpoint) has seen. `pause` ("parent" / "child" / "fan" / anything else)
    chooses where the run interrupts (in ask, in the child subgraph, in the second spread task) with a payload made
    of generated values; on "child" and "fan" the other tasks of that superstep finish and their writes wait.
    """
    from langgraph.graph import END, START, StateGraph
    from langgraph.types import Send, interrupt

    try:
        from langgraph.channels.delta import DeltaChannel  # new in langgraph 1.2
        fan: Any = Annotated[list, DeltaChannel(appended)]
    except ImportError:
        fan = Annotated[list, operator.add]
    # The functional form: its annotations are objects (this module's are strings, and `fan` is local).
    Values = TypedDict("Values", {"value": Any, "n": int, "pause": str, "answer": Any,  # noqa: UP013
                                  "log": Annotated[list, operator.add], "fan": fan, "memo": list}, total=False)

    def work(s: dict) -> dict:
        return {"n": s.get("n", 0) + 1, "log": [s.get("value")]}

    def inner(s: Child) -> dict:
        return {"answer": interrupt({"child": s.get("value")}) if s.get("pause") == "child" else s.get("answer")}

    def spread(a: dict) -> dict:
        got = interrupt({"fan": a["value"]}) if a["pause"] == "fan" and a["i"] == 1 else a["i"]
        return {"log": [f"s{a['i']}"], "fan": [[got, a["value"]]]}

    def ask(s: dict) -> dict:
        return {"answer": interrupt([s.get("value"), s.get("n")]) if s.get("pause") == "parent" else s.get("answer")}

    def fan_out(s: dict) -> list:
        sends = [Send("spread", {"i": i, "value": s.get("value"), "pause": s.get("pause")}) for i in range(FAN)]
        return ["child", "memo", *sends]

    child = StateGraph(Child)
    child.add_node("inner", inner)
    child.add_edge(START, "inner")
    child.add_edge("inner", END)
    memo = StateGraph(Memo, input_schema=MemoIn, output_schema=MemoOut)
    memo.add_node("remember", lambda s: {"memo": [s.get("value")]})
    memo.add_edge(START, "remember")
    memo.add_edge("remember", END)
    g = StateGraph(Values)
    g.add_node("work", work)
    g.add_node("child", child.compile())  # no checkpointer of its own: it inherits the parent's, per run
    g.add_node("memo", memo.compile(checkpointer=True))  # a state of its own on the thread, across runs
    g.add_node("spread", spread)
    g.add_node("ask", ask)
    g.add_edge(START, "work")
    g.add_conditional_edges("work", fan_out, ["child", "memo", "spread"])
    for node in ("child", "memo", "spread"):
        g.add_edge(node, "ask")
    g.add_edge("ask", END)
    return g


def writes_saved(saver, match: Callable[[str, Any], bool]) -> threading.Event:
    """An Event set once the saver has saved (or failed to save) a pending write that match(channel, value) picks
    (pick the sibling's own: the graph's input is saved as writes too, on the same channels).

    A parallel branch that must fail only after its sibling's writes are saved waits on it. LangGraph saves them when
    the sibling's task completes, just after it returns, and a failure seen first cancels that: a signal from inside
    the sibling lost that race under load (the reference's own two runs differed). The saver's put_writes and
    aput_writes are wrapped on this instance only, to watch: arguments and results pass through unchanged. A saver
    whose methods cannot be replaced gets an Event that is already set (the race stays possible there).
    """
    saved = threading.Event()

    def watch(writes) -> None:
        if any(match(channel, value) for channel, value in writes):
            saved.set()

    put, aput = getattr(saver, "put_writes", None), getattr(saver, "aput_writes", None)

    # functools.wraps keeps the saver's signature: LangGraph passes task_path only to a put_writes whose signature
    # has it, and without it the writes were stored under no task path (a later cell on a shared saver then saw
    # parallel tasks' writes in task-id order).
    @functools.wraps(put)
    def put_writes(config, writes, *args, **kw):
        try:
            return put(config, writes, *args, **kw)
        finally:
            watch(writes)

    @functools.wraps(aput)
    async def aput_writes(config, writes, *args, **kw):
        try:
            return await aput(config, writes, *args, **kw)
        finally:
            watch(writes)

    try:
        if put is not None:
            saver.put_writes = put_writes
        if aput is not None:
            saver.aput_writes = aput_writes
    except (AttributeError, TypeError):
        saved.set()
    return saved
