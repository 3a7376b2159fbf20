"""Standalone repro scripts for generated findings: the shrunk ops, the saver, and a check against InMemorySaver."""

from __future__ import annotations

from pathlib import Path

from parity import families
from parity.generated import literal as lit

# parity.generated.types in one line each: a repro defines the types its values use (the judge compares class names)
TYPES = {"Color": 'class Color(enum.Enum): RED = "red"; BLUE = 2; NONE = None',
         "Level": "class Level(enum.IntEnum): LOW = 1; HIGH = 2**40",
         "Point": 'Point = dataclasses.dataclass(type("Point", (), {"__annotations__": {"x": Any, "label": str}, "__module__": __name__}))',
         "Record": "class Record(BaseModel): id: int; payload: Any = None"}

# parity.generated.ops.run_ops and exact() in brief; tests/test_generated.py runs emitted scripts on both savers.
BODY = r'''P = f"r{uuid.uuid4().hex[:6]}~"  # this run's thread-id prefix
def cfg(t, ns=None, cid=None): return {"configurable": {k: v for k, v in (("thread_id", P + t), ("checkpoint_ns", ns), ("checkpoint_id", cid)) if v is not None}}
def strip(c): return c and {k: v[len(P):] if k == "thread_id" else v for k, v in c["configurable"].items()}
def view(t, full=True): return t and (strip(t.config), strip(t.parent_config), t.metadata) + ((t.checkpoint["channel_values"], t.checkpoint.get("updated_channels"), [list(w) for w in t.pending_writes or []]) if full else ())  # writes in writes_sort_key order
def mprune(s, t, how): [(c.pop(k), s.writes.pop((t, ns, k), None)) for ns, c in s.storage.get(t, {}).items() for k in sorted(c)[:-1 if how == "keep_latest" else None]]  # prune's documented contract (InMemorySaver has none)
async def run(s, a):
    async def call(name, *args, **kw): r = getattr(s, "a" * a + name)(*args, **kw); return [x async for x in r] if inspect.isasyncgen(r) else list(r) if inspect.isgenerator(r) else (await r if a else r)
    out, n = [], 0
    for op in OPS:  # list without a namespace: no order across namespaces is promised, so it is sorted
        try:
            if op[0] == "put": n += 1; cp = empty_checkpoint(); cp.update(id=op[3], ts="2026-01-01T00:00:00+00:00", channel_values=dict(op[5]), channel_versions={c: f"{n:032}.0" for c in op[5]}, updated_channels=sorted(op[5])); cp["versions_seen"] = {"node": dict(cp["channel_versions"])}; out.append(strip(await call("put", cfg(op[1], op[2], op[4]), cp, dict(op[6]), dict(cp["channel_versions"]))))
            elif op[0] == "put_writes": out.append(await call("put_writes", cfg(op[1], op[2], op[3]), list(op[4]), op[5], op[6] if len(op) > 6 else ""))
            elif op[0] == "get": out.append(view(await call("get_tuple", cfg(*op[1:]))))
            elif op[0] == "list": r = [view(t, False) for t in await call("list", cfg(op[1], op[2]), filter=op[3], before=None if op[4] is None else cfg(op[1], op[2], op[4] or None), limit=op[5])]; out.append(r if op[2] is not None else sorted(r, key=repr))
            elif op[0] == "delete": out.append(await call("delete_thread", P + op[1]))
            elif op[0] == "prune": out.append(mprune(s, P + op[1], op[2]) if type(s).prune is BaseCheckpointSaver.prune else await call("prune", [P + op[1]], strategy=op[2]))
        except Exception as e: out.append(("raised", type(e).__name__))
    return out
def canon(v):
    if isinstance(v, float): return ("float", "nan" if v != v else v.hex())
    if type(v) in (list, tuple, set, frozenset): return (type(v).__name__, sorted(map(repr, map(canon, v))) if isinstance(v, (set, frozenset)) else [canon(x) for x in v])
    if type(v) is dict: return ("dict", sorted((repr(canon(k)), canon(x)) for k, x in v.items()))
    return (type(v).__qualname__, canon({f: getattr(v, f) for f in fields})) if (fields := getattr(v, "__dataclass_fields__", None) or getattr(type(v), "model_fields", None)) else (type(v).__qualname__, repr(v))
async def main(arg, a):
    async with contextlib.AsyncExitStack() as st:
        if arg == "memory": s = InMemorySaver()
        else: OPEN
        want, got = await run(InMemorySaver(), a), await run(s, a)
    bad = [i for i, (x, y) in enumerate(zip(want, got)) if canon(x) != canon(y)]; print(f"op {bad[0]} {OPS[bad[0]][0]}:\n  InMemorySaver: {want[bad[0]]!r:.1500}\n  {arg}: {got[bad[0]]!r:.1500}" if bad else "same as InMemorySaver"); sys.exit(1 if bad else 0)
c = main(sys.argv[1] if len(sys.argv) > 1 else "memory", ASYNC); asyncio.run(c) if ASYNC else (c.send(None), sys.exit("a sync run awaited what only an event loop finishes"))  # sync: no loop at all, as a sync app (main ends in sys.exit)
'''


def script(finding, backend, ops: list) -> str:
    """The repro's source: OPS as literals, the target saver, the comparison with InMemorySaver."""
    used: set[str] = set()
    ops_src = "[" + ", ".join(lit.literal(op, used) for op in ops) + "]"
    first = ["import asyncio, contextlib, inspect, sys, uuid", "from langgraph.checkpoint.base import BaseCheckpointSaver, empty_checkpoint",
             "from langgraph.checkpoint.memory import InMemorySaver"]
    first += sorted({lit.IMPORTS[n] for n in used if n in lit.IMPORTS})
    msgs = sorted(n for n in used if n.endswith("Message"))
    first += [f"from langchain_core.messages import {', '.join(msgs)}"] if msgs else []
    defs = [TYPES[n] for n in sorted(used) if n in TYPES]
    first += ["import dataclasses, enum", "from typing import Any", "from pydantic import BaseModel"] if defs else []
    opening, target_import, hint = _opening(backend, finding.flavour)
    imports = ["; ".join(first)] + ([target_import] if target_import else [])  # one line: a repro has 40 at most
    name = f"{finding.id}.py"
    doc = (f'"""Repro {finding.id}: {finding.backend} ({finding.flavour}) vs InMemorySaver: {_one_line(finding.summary)}\n'
           f'Run: python {name} memory  (passes)   python {name} {hint}  (fails)"""')
    body = BODY.replace("OPEN", opening).replace("ASYNC", "True" if finding.flavour == "async" else "False")
    return "\n".join([doc, *imports, *defs, f"OPS = {ops_src}", body.rstrip("\n")]) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())[:160].replace('"""', "'''").replace("\\", "/")


def _opening(backend, flavour: str) -> tuple[str, str | None, str]:
    if backend.repro is not None and backend.origin == "built-in":  # declared with the backend
        imp, opening = backend.repro.async_ if flavour == "async" else backend.repro.sync
        return opening, imp, backend.repro.arg
    # A third-party saver registered as module:factory: opened as the matrix opens it (parity.backends.opener), in
    # a scope of this run, on the server whose URL is the argument when it names one.
    module, _, attr = backend.origin.rpartition(":")
    how = "await st.enter_async_context(opener.open_async" if flavour == "async" else "st.enter_context(opener.open_sync"
    opening = (f"import importlib; from parity.backends import opener; from parity.backends.backend import SaverContext; "
               f"from parity.servers.endpoint import Endpoint; ep = Endpoint({backend.family!r}, arg, 'external', "
               f"owned=False) if '://' in arg else None; s = {how}(getattr(importlib.import_module({module!r}), "
               f"{attr!r}), SaverContext(ep, 'parity_repro_' + P[1:-1])))")
    return opening, None, families.get(backend.family).repro_arg if backend.family else "saver"


def write(out: Path, finding, backend, ops: list, make=script) -> str:
    """Write DIR/repro/<finding id>.py made by `make` (saver-API ops by default; graph ops:
    parity.generated.graph_repro.script); return its path relative to DIR (as results.json links it)."""
    from parity.files import make_dir, write_atomic

    path = make_dir(out / "repro") / f"{finding.id}.py"
    write_atomic(path, make(finding, backend, ops))  # a full disk leaves no half script
    return str(path.relative_to(out))
