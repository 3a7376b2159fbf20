"""Values: state and pending writes holding Decimal, datetime, UUID, Enum, sets, bytes, dataclasses, pydantic, messages."""

import dataclasses
import datetime as dt
import enum
import operator
import uuid
from decimal import Decimal
from typing import Annotated, Any, TypedDict

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from pydantic import BaseModel

from parity.graphs import writes_saved
from parity.judging.observe import tuple_view, typed


class Color(enum.Enum):
    RED = "red"
    BLUE = 2


@dataclasses.dataclass
class Point:
    x: int
    label: str


class Order(BaseModel):
    id: int
    amount: Decimal
    tags: list[str]


FIXED_UUID = uuid.UUID("12345678-1234-5678-1234-567812345678")


def rich_values() -> dict[str, Any]:
    return {"decimal": Decimal("12345.678900"), "datetime": dt.datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=dt.timezone.utc),
            "naive": dt.datetime(2026, 1, 2, 3, 4, 5), "date": dt.date(2026, 2, 28), "time": dt.time(23, 59, 1),
            "delta": dt.timedelta(days=1, seconds=5), "uuid": FIXED_UUID, "enum": Color.BLUE, "set": {3, 1, 2},
            "frozenset": frozenset({"a", "b"}), "bytes": b"\x00\xffbinary", "tuple": (1, "two"),
            "dataclass": Point(1, "p"), "pydantic": Order(id=7, amount=Decimal("9.99"), tags=["x"]),
            "big_int": 2**63 - 1, "float": 1e-300, "unicode": "naïve ☃ \u0000-free", "int_keys": {1: "a", 2: "b"}}


class Rich(TypedDict, total=False):
    data: dict
    messages: Annotated[list, add_messages]
    extra: Annotated[list, operator.add]


async def values_round_trip(g) -> None:
    builder = StateGraph(Rich)
    builder.add_node("store", lambda s: {"data": rich_values(),
                                         "messages": [AIMessage(content="hi", id="m2", tool_calls=[
                                             {"name": "lookup", "args": {"q": "ü"}, "id": "call1"}])]})
    builder.add_edge(START, "store")
    builder.add_edge("store", END)
    app = g.compile(builder)
    cfg = g.config("vals")
    await g.invoke(app, {"messages": [HumanMessage(content="hello ☃", id="m1")], "extra": []}, cfg)
    state = await g.get_state(app, cfg)
    g.trace.add("state values with exact types", typed(state.values.get("data")))
    g.trace.add("messages with exact types", typed(state.values.get("messages")))


async def test_rich_values_in_state(parity_cell):
    """Contract: state values of rich Python types (Decimal, aware/naive datetime, date, time, timedelta, UUID, Enum, set, frozenset, bytes, tuple, dataclass, pydantic, big int, LangChain messages) come back with the same type and value."""
    await parity_cell.check(values_round_trip)


async def values_in_pending_writes(g) -> None:
    saved = writes_saved(g.saver, lambda channel, value: channel == "extra" and bool(value))  # not the input's []

    def good(state: Rich) -> dict:
        return {"extra": [rich_values(), ToolMessage(content="42", tool_call_id="call1", id="m3")]}

    def bad(state: Rich) -> dict:
        saved.wait(10)  # fail only after good's writes are saved, in every run
        raise ValueError("stop here")

    builder = StateGraph(Rich)
    builder.add_node("good", good)
    builder.add_node("bad", bad)
    builder.add_edge(START, "good")
    builder.add_edge(START, "bad")
    builder.add_edge(["good", "bad"], END)
    app = g.compile(builder)
    cfg = g.config("pw")
    try:
        await g.invoke(app, {"extra": []}, cfg)
    except ValueError:
        pass
    tup = await g.get_tuple(cfg)
    writes = [w for w in tuple_view(tup)["pending_writes"] for ch, _ in w["writes"] if ch == "extra"]
    g.trace.add("good's pending write with exact types",
                [typed(v) for w in writes for ch, v in w["writes"] if ch == "extra"])


async def test_rich_values_in_pending_writes(parity_cell):
    """Contract: a pending write (from the branch that succeeded while another failed) holding rich types comes back from get_tuple with the same types and values."""
    await parity_cell.check(values_in_pending_writes)
