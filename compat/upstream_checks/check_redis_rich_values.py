"""Standalone: rich Python values in graph state through RedisSaver vs PostgresSaver vs InMemorySaver."""
import sys, uuid, enum, datetime as dt
from decimal import Decimal
from typing import TypedDict
from pydantic import BaseModel
from langgraph.graph import END, START, StateGraph
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.redis import RedisSaver
from langgraph.checkpoint.postgres import PostgresSaver
class Color(enum.Enum):
    BLUE = 2
class Order(BaseModel):
    id: int
    amount: Decimal
class S(TypedDict):
    data: dict
VALUES = {"decimal": Decimal("12345.678900"), "delta": dt.timedelta(days=1, seconds=5), "frozenset": frozenset({"a"}),
          "datetime": dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc), "enum": Color.BLUE, "pydantic": Order(id=7, amount=Decimal("9.99"))}
b = StateGraph(S); b.add_node("store", lambda s: {"data": VALUES}); b.add_edge(START, "store"); b.add_edge("store", END)
def run(name, saver):
    app = b.compile(checkpointer=saver); cfg = {"configurable": {"thread_id": str(uuid.uuid4())}}
    app.invoke({"data": {}}, cfg)
    got = app.get_state(cfg).values["data"]
    print(name, {k: repr(v)[:60] for k, v in got.items()})
run("memory  ", InMemorySaver())
with RedisSaver.from_conn_string(sys.argv[1]) as s:
    s.setup(); run("redis   ", s)
with PostgresSaver.from_conn_string(sys.argv[2]) as s:
    s.setup(); run("postgres", s)
