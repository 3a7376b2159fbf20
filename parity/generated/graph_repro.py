"""Standalone repro scripts for graph-operation findings: the graph, the shrunk ops, a check against InMemorySaver."""

from __future__ import annotations

from parity.generated import literal as lit
from parity.generated import repro

# parity.graphs.generated_values_graph and parity.generated.graph_ops (supersteps too) in brief (tests/test_generated.py runs
# emitted scripts on both savers, so a drift from the harness shows there).
BODY = r'''Child = TypedDict("Child", {"value": Any, "n": int, "pause": str, "answer": Any}, total=False); Values = TypedDict("Values", {**Child.__annotations__, "log": Annotated[list, operator.add], "fan": Annotated[list, DeltaChannel(lambda s, w: [*s, *w])], "memo": list}, total=False); P, U = f"r{uuid.uuid4().hex[:6]}~", re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"); Memo, MemoIn, MemoOut = TypedDict("Memo", {"value": Any, "memo": Annotated[list, operator.add]}, total=False), TypedDict("MemoIn", {"value": Any}, total=False), TypedDict("MemoOut", {"memo": list}, total=False); spread = lambda a: {"log": [f"s{a['i']}"], "fan": [[interrupt({"fan": a["value"]}) if a["pause"] == "fan" and a["i"] == 1 else a["i"], a["value"]]]}; steps = lambda cs: sorted(cs, key=(lambda n: lambda c: (n.__setitem__(0, n[0] + (c[0] == "checkpoints")) or n[0], c[0] != "checkpoints", U.sub("<id>", repr(c))))([0]))  # steps: parallel tasks stream as they finish, so the order within a superstep is free
def graph():  # work -> {child, memo (stateful: checkpointer=True), 5 x spread (Send: parity.graphs.FAN)} -> ask
    c = StateGraph(Child); c.add_node("inner", lambda s: {"answer": interrupt({"child": s.get("value")}) if s.get("pause") == "child" else s.get("answer")}); c.add_edge(START, "inner"); c.add_edge("inner", END); g = StateGraph(Values); m = StateGraph(Memo, input_schema=MemoIn, output_schema=MemoOut); m.add_node("remember", lambda s: {"memo": [s.get("value")]}); m.add_edge(START, "remember"); m.add_edge("remember", END); g.add_node("memo", m.compile(checkpointer=True)); g.add_node("spread", spread)
    g.add_node("work", lambda s: {"n": s.get("n", 0) + 1, "log": [s.get("value")]}); g.add_node("child", c.compile()); g.add_node("ask", lambda s: {"answer": interrupt([s.get("value"), s.get("n")]) if s.get("pause") == "parent" else s.get("answer")}); [g.add_edge(x, y) for x, y in ((START, "work"), ("child", "ask"), ("memo", "ask"), ("spread", "ask"), ("ask", END))]; g.add_conditional_edges("work", lambda s: ["child", "memo", *(Send("spread", {"i": i, "value": s.get("value"), "pause": s.get("pause")}) for i in range(5))], ["child", "memo", "spread"]); return g
def snap(s): return {"values": s.values, "next": list(s.next), "config": s.config, "metadata": s.metadata, "interrupts": [i.value for i in s.interrupts], "tasks": [{"name": t.name, "path": list(t.path), "error": t.error and [type(t.error).__name__, str(t.error)], "interrupts": [i.value for i in t.interrupts], "result": t.result, "state": snap(t.state) if hasattr(t.state, "next") else t.state} for t in s.tasks]}
async def run(s, a):  # ids become <idN> in order of first appearance: two savers' runs make different ids
    app, out, T = graph().compile(checkpointer=s), [], {}
    async def call(name, *args, **kw): r = getattr(app, "a" * a + name)(*args, **kw); return [x async for x in r] if inspect.isasyncgen(r) else list(r) if inspect.isgenerator(r) else (await r if a else r)
    def tok(o): return U.sub(lambda m: T.setdefault(m.group(0), f"<id{len(T) + 1}>"), o) if isinstance(o, str) else {tok(k): tok(v) for k, v in sorted(o.items(), key=lambda kv: U.sub("<id>", repr(kv[0]))) if not str(k).startswith("__pregel_")} if type(o) is dict else type(o)(map(tok, o)) if type(o) in (list, tuple) else {"interrupt": tok(o.value)} if type(o).__name__ == "Interrupt" else o
    for op in OPS:
        k, c, r = op[0], {"configurable": {"thread_id": P + op[1]}}, None
        try:
            if k in ("invoke", "stream", "resume"): r = await call(k.replace("resume", "invoke"), Command(resume=[op[2]]) if k == "resume" else {"value": op[2], "pause": op[3]}, c, **({"stream_mode": [op[4], "checkpoints"]} if k == "stream" else {})); r = steps(r) if k == "stream" else r
            elif k == "update": r = (await call("update_state", c, {"value": op[2]}, as_node=op[3]))["configurable"]
            elif k in ("fork", "replay"): h = await call("get_state_history", c); st = h[min(op[2], len(h) - 1)].config if h else None; st = await call("update_state", st, {"value": op[3]}, as_node="work") if st and k == "fork" else st; r = [st["configurable"], await call("invoke", None, st)] if st else "no history"
            elif k == "history": r = [(snap(x), x.parent_config) for x in await call("get_state_history", c, limit=op[2])]
            out.append(tok(r if k == "history" else {"result": r, "state": snap(await call("get_state", c, subgraphs=True))}))
        except Exception as e: out.append(("raised", type(e).__name__))
    return out
'''
IMPORTS = ("import asyncio, contextlib, inspect, operator, re, sys, uuid; from typing import Annotated, Any, TypedDict; "
           "from langgraph.channels.delta import DeltaChannel; from langgraph.checkpoint.memory import InMemorySaver; "
           "from langgraph.graph import END, START, StateGraph; from langgraph.types import Command, Send, interrupt")


def script(finding, backend, ops: list) -> str:
    """The repro's source: OPS as literals, the graph, the target saver, the comparison with InMemorySaver."""
    used: set[str] = set()
    ops_src = "[" + ", ".join(lit.literal(op, used) for op in ops) + "]"
    first = [IMPORTS] + sorted({lit.IMPORTS[n] for n in used if n in lit.IMPORTS})
    msgs = sorted(n for n in used if n.endswith("Message"))
    first += [f"from langchain_core.messages import {', '.join(msgs)}"] if msgs else []
    defs = [repro.TYPES[n] for n in sorted(used) if n in repro.TYPES]
    first += ["import dataclasses, enum", "from pydantic import BaseModel"] if defs else []
    opening, target_import, hint = repro._opening(backend, finding.flavour)
    imports = ["; ".join(first)] + ([target_import] if target_import else [])
    name = f"{finding.id}.py"
    doc = (f'"""Repro {finding.id}: {finding.backend} ({finding.flavour}) vs InMemorySaver, graph operations: '
           f'{repro._one_line(finding.summary)}\nRun: python {name} memory  (passes)   python {name} {hint}  (fails)"""')
    tail = repro.BODY[repro.BODY.index("def canon(v):"):]  # the same exact comparison and main as saver repros
    tail = tail.replace("OPEN", opening).replace("ASYNC", "True" if finding.flavour == "async" else "False")
    return "\n".join([doc, *imports, *defs, f"OPS = {ops_src}", BODY.rstrip("\n"), tail.rstrip("\n")]) + "\n"
