"""Standalone: does get_state after interrupt() show the interrupt, per saver and durability mode? (no parity harness)"""
import sys, uuid, asyncio
from typing import TypedDict
import redis
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt
from langgraph.checkpoint.redis import RedisSaver, AsyncRedisSaver

class S(TypedDict):
    a: str

def ask(s):
    return {"a": interrupt("q?")}

b = StateGraph(S); b.add_node("prep", lambda s: {"a": "x"}); b.add_node("ask", ask)
b.add_edge(START, "prep"); b.add_edge("prep", "ask"); b.add_edge("ask", END)
url = sys.argv[1]
N = 30
for durability in ("async", "sync", "exit"):
    missing = 0
    with RedisSaver.from_conn_string(url) as saver:
        saver.setup()
        app = b.compile(checkpointer=saver)
        for i in range(N):
            cfg = {"configurable": {"thread_id": f"v-{uuid.uuid4()}"}}
            app.invoke({"a": ""}, cfg, durability=durability)
            st = app.get_state(cfg)
            if not st.interrupts:
                missing += 1
    print(f"sync RedisSaver durability={durability}: interrupts missing in {missing}/{N}")

async def amain():
    for durability in ("async", "sync"):
        missing = 0
        async with AsyncRedisSaver.from_conn_string(url) as saver:
            await saver.asetup()
            app = b.compile(checkpointer=saver)
            for i in range(N):
                cfg = {"configurable": {"thread_id": f"v-{uuid.uuid4()}"}}
                await app.ainvoke({"a": ""}, cfg, durability=durability)
                st = await app.aget_state(cfg)
                if not st.interrupts:
                    missing += 1
        print(f"AsyncRedisSaver durability={durability}: interrupts missing in {missing}/{N}")
asyncio.run(amain())
