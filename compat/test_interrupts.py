"""Human-in-the-loop: interrupt() pauses a run, Command(resume=...) continues it, several interrupts in a row."""

import operator
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt

from parity.judging.observe import snapshot, tuple_view


class Ask(TypedDict):
    topic: str
    answers: list[str]


def _one_question() -> StateGraph:
    def ask(state: Ask) -> dict:
        answer = interrupt({"question": f"approve {state['topic']}?"})
        return {"answers": state["answers"] + [answer]}

    g = StateGraph(Ask)
    g.add_node("prepare", lambda s: {"topic": s["topic"].upper()})
    g.add_node("ask", ask)
    g.add_node("finish", lambda s: {"answers": s["answers"] + ["done"]})
    g.add_edge(START, "prepare")
    g.add_edge("prepare", "ask")
    g.add_edge("ask", "finish")
    g.add_edge("finish", END)
    return g


async def resume_after_interrupt(g) -> None:
    app = g.compile(_one_question())
    cfg = g.config("hitl")
    g.trace.add("invoke until interrupt", await g.invoke(app, {"topic": "email", "answers": []}, cfg))
    g.trace.add("paused state", snapshot(await g.get_state(app, cfg)))
    g.trace.add("resume", await g.invoke(app, Command(resume="yes"), cfg))
    g.trace.add("final state", snapshot(await g.get_state(app, cfg)))


async def test_resume_after_interrupt(parity_cell):
    """Contract: invoke returns the __interrupt__ payload, get_state shows the paused task with its interrupt value and next=('ask',), Command(resume=...) finishes the run."""
    await parity_cell.check(resume_after_interrupt)


def _three_questions() -> StateGraph:
    def ask_all(state: Ask) -> dict:
        first = interrupt("first?")
        second = interrupt({"q": "second?", "after": first})
        return {"answers": [first, second]}

    def ask_again(state: Ask) -> dict:
        third = interrupt(["third?", len(state["answers"])])
        return {"answers": state["answers"] + [third]}

    g = StateGraph(Ask)
    g.add_node("ask_all", ask_all)
    g.add_node("ask_again", ask_again)
    g.add_edge(START, "ask_all")
    g.add_edge("ask_all", "ask_again")
    g.add_edge("ask_again", END)
    return g


async def interrupts_in_a_row(g) -> None:
    app = g.compile(_three_questions())
    cfg = g.config("row")
    g.trace.add("first pause", await g.invoke(app, {"topic": "t", "answers": []}, cfg))
    for i, answer in enumerate(["one", {"two": 2}, "three"]):
        state = await g.get_state(app, cfg)
        g.trace.add(f"state before resume {i}", snapshot(state))
        g.trace.add(f"checkpoint before resume {i} (resume values are pending writes)",
                    tuple_view(await g.get_tuple(state.config)))
        g.trace.add(f"resume {i}", await g.invoke(app, Command(resume=answer), cfg))
    g.trace.add("final", snapshot(await g.get_state(app, cfg)))


async def test_several_interrupts_in_a_row(parity_cell):
    """Contract: two interrupts inside one node then one in the next node each pause the run in turn; earlier resume values are kept as pending writes and replayed, not asked again."""
    await parity_cell.check(interrupts_in_a_row)


class Log(TypedDict):
    log: Annotated[list[str], operator.add]


WRITES = 12  # more than 10: an index kept as text sorts 0, 1, 10, 11, 2, ...


def _many_writes_beside_an_interrupt() -> StateGraph:
    def writer(state: Log) -> Command:  # one task, WRITES writes to one channel, in this order
        return Command(update=[("log", [f"w{i:02d}"]) for i in range(WRITES)])

    def ask(state: Log) -> dict:
        return {"log": [f"ask:{interrupt('go on?')}"]}

    g = StateGraph(Log)
    g.add_node("writer", writer)
    g.add_node("ask", ask)
    g.add_edge(START, "writer")
    g.add_edge(START, "ask")
    g.add_edge("writer", END)
    g.add_edge("ask", END)
    return g


async def many_writes(g) -> None:
    app = g.compile(_many_writes_beside_an_interrupt())
    cfg = g.config("many")
    g.trace.add("paused", await g.invoke(app, {"log": []}, cfg))
    state = await g.get_state(app, cfg)
    g.trace.add("the writer's pending writes, in the order written", tuple_view(await g.get_tuple(state.config)))
    g.trace.add("resumed: the reducer sees the writes in order", await g.invoke(app, Command(resume="yes"), cfg))


BRANCHES = 7  # parallel tasks writing one channel: their ids (hashes) order them as their paths do in 1 run of 5040


def _appended(state: list, writes) -> list:  # order-sensitive on purpose, as a message log is
    return [*state, *(x for w in writes for x in w)]


def _branches_beside_an_interrupt() -> StateGraph:
    """BRANCHES parallel tasks append their names to an operator.add channel and to a DeltaChannel (rebuilt from
    the stored writes, in get_tuple's order), beside a task that interrupts: their writes stay pending until resume.
    On a langgraph without DeltaChannel (before 1.2) the operator.add channel alone carries the order."""
    channels = {"log": Annotated[list[str], operator.add]}
    try:
        from langgraph.channels.delta import DeltaChannel
    except ImportError:  # an older langgraph: the order is still rebuilt by the operator.add reducer
        delta = None
    else:
        delta = channels["delta"] = Annotated[list[str], DeltaChannel(_appended)]
    Branches = TypedDict("Branches", channels)  # noqa: UP013 - its keys depend on the installed langgraph

    def branch(name: str):
        return lambda state: {"log": [name], **({"delta": [name]} if delta else {})}

    g = StateGraph(Branches)
    for i in range(BRANCHES):
        g.add_node(f"b{i}", branch(f"b{i}"))
        g.add_edge(START, f"b{i}")
        g.add_edge(f"b{i}", "after")
    g.add_node("ask", lambda state: {"log": [f"ask:{interrupt('go on?')}"]})
    g.add_node("after", lambda state: {"log": ["after"], **({"delta": ["after"]} if delta else {})})
    g.add_edge(START, "ask")
    g.add_edge(["ask", *(f"b{i}" for i in range(BRANCHES))], "after")
    g.add_edge("after", END)
    return g


async def parallel_writes(g) -> None:
    app = g.compile(_branches_beside_an_interrupt())
    cfg = g.config("fan")
    start = {channel: [] for channel in app.builder.channels if not channel.startswith("__")}
    g.trace.add("paused", await g.invoke(app, start, cfg))
    state = await g.get_state(app, cfg)
    g.trace.add("the branches' pending writes", tuple_view(await g.get_tuple(state.config)))
    g.trace.add("resumed: the channels see the branches in path order", await g.invoke(app, Command(resume="y"), cfg))
    g.trace.add("read back: the delta channel rebuilt from the stored writes", snapshot(await g.get_state(app, cfg)))


async def test_parallel_writes_rebuild_in_path_order(parity_cell):
    """Contract: the pending writes of parallel tasks beside an interrupt come back from get_tuple in writes_sort_key
    order (task path, then task id, then index), so an order-sensitive reducer and a DeltaChannel rebuild on resume
    and on read-back the value the live run would have made."""
    await parity_cell.check(parallel_writes)


async def test_many_writes_of_one_task_keep_their_order(parity_cell):
    """Contract: a task that writes one channel more than 10 times before an interrupt gets its pending writes back in the order written (by index, 0..11, not as text 0, 1, 10, 11, 2), so the reducer rebuilds the same value on resume."""
    await parity_cell.check(many_writes)
