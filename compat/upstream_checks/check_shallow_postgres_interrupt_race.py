"""Standalone: AsyncShallowPostgresSaver / ShallowPostgresSaver, interrupts visible after interrupt()?"""
import sys, uuid, asyncio, warnings
warnings.simplefilter("ignore")
from typing import TypedDict
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt
from langgraph.checkpoint.postgres.shallow import ShallowPostgresSaver, AsyncShallowPostgresSaver
class S(TypedDict):
    a: str
def ask(s):
    return {"a": interrupt("q?")}
b = StateGraph(S); b.add_node("prep", lambda s: {"a": "x"}); b.add_node("ask", ask)
b.add_edge(START, "prep"); b.add_edge("prep", "ask"); b.add_edge("ask", END)
url = sys.argv[2]; N = 40
for durability in ("async", "sync"):
    with ShallowPostgresSaver.from_conn_string(url) as saver:
        saver.setup(); app = b.compile(checkpointer=saver); missing = 0
        for i in range(N):
            cfg = {"configurable": {"thread_id": f"v-{uuid.uuid4()}"}}
            app.invoke({"a": ""}, cfg, durability=durability)
            missing += not app.get_state(cfg).interrupts
    print(f"ShallowPostgresSaver durability={durability}: missing {missing}/{N}")
async def amain():
    for durability in ("async", "sync"):
        async with AsyncShallowPostgresSaver.from_conn_string(url) as saver:
            await saver.setup(); app = b.compile(checkpointer=saver); missing = 0
            for i in range(N):
                cfg = {"configurable": {"thread_id": f"v-{uuid.uuid4()}"}}
                await app.ainvoke({"a": ""}, cfg, durability=durability)
                missing += not (await app.aget_state(cfg)).interrupts
        print(f"AsyncShallowPostgresSaver durability={durability}: missing {missing}/{N}")
asyncio.run(amain())
