"""Standalone: Redis vs memory vs Postgres on history under subgraphs, list(before=), run metadata."""
import sys, uuid, warnings
warnings.simplefilter("ignore")
from typing import TypedDict
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.redis import RedisSaver
from langgraph.checkpoint.postgres import PostgresSaver

class S(TypedDict):
    text: str
child = StateGraph(S)
child.add_node("draft", lambda s: {"text": s["text"] + " d"})
child.add_node("review", lambda s: {"text": s["text"] + interrupt("r?")})
child.add_edge(START, "draft"); child.add_edge("draft", "review"); child.add_edge("review", END)
parent = StateGraph(S)
parent.add_node("start", lambda s: s); parent.add_node("child", child.compile()); parent.add_node("send", lambda s: {"text": s["text"] + " sent"})
parent.add_edge(START, "start"); parent.add_edge("start", "child"); parent.add_edge("child", "send"); parent.add_edge("send", END)

def run(name, saver):
    app = parent.compile(checkpointer=saver)
    tid = str(uuid.uuid4())
    cfg = {"configurable": {"thread_id": tid}, "metadata": {"user": "Zoë", "big": 2**62}}
    app.invoke({"text": "x"}, cfg)
    st = app.get_state(cfg, subgraphs=True)
    ccfg = st.tasks[0].state.config
    app.invoke(Command(resume="ok"), {"configurable": {"thread_id": tid}})
    ph = list(app.get_state_history({"configurable": {"thread_id": tid}}))
    ch = list(app.get_state_history({"configurable": {"thread_id": tid, "checkpoint_ns": ccfg["configurable"]["checkpoint_ns"]}}))
    print(f"{name}: parent history {len(ph)} entries, namespaces {sorted(set(s.config['configurable']['checkpoint_ns'][:5] for s in ph))}; "
          f"child history {len(ch)}")
    lst = list(saver.list({"configurable": {"thread_id": tid, "checkpoint_ns": ""}}))
    before = list(saver.list({"configurable": {"thread_id": tid, "checkpoint_ns": ""}}, before=lst[2].config))
    print(f"   list root ns: {len(lst)}; before 3rd newest: {len(before)} (expected {len(lst) - 3}); "
          f"before ids all older: {all(b.config['configurable']['checkpoint_id'] < lst[2].config['configurable']['checkpoint_id'] for b in before)}")
    print(f"   latest metadata keys: {sorted(ph[0].metadata)}")
    try:
        print("   filter user:", len(list(saver.list({"configurable": {"thread_id": tid}}, filter={"user": "Zoë"}))))
    except Exception as e:
        print("   filter user raised", type(e).__name__, e)

run("memory", InMemorySaver())
with RedisSaver.from_conn_string(sys.argv[1]) as s:
    s.setup(); run("redis", s)
with PostgresSaver.from_conn_string(sys.argv[2]) as s:
    s.setup(); run("postgres", s)
