"""Process-to-process variance: the headline ratios timed again in fresh worker processes, as pyperf does.

A run's in-process repeats share one interpreter, one set of connections and one memory layout; a second run of
the same commit gets new ones. Each worker is a new Python process (new hash seed, new connections, new saver
objects) that times the headline ops on the same servers, in the same CPU layout (it inherits this process's
pinning), and prints its rows; the spread of a ratio across workers (and the run's own first repeat) is a noise
figure the run states beside its in-process repeats. Workers never pin, start or stop anything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

WORKER_TIMEOUT_S = 300


def spawn(session, cond, backends: list, op_names: list[tuple[str, str]], index: int) -> list[dict[str, Any]]:
    """Ratio rows of one worker process (empty, with the reason raised as RuntimeError, if it failed)."""
    job = {"endpoints": {f: {"url": ep.url, "provider": ep.provider, "settings": dict(ep.settings or {})}
                         for f, ep in cond.endpoints.items()},
           "backends": [b.name for b in backends], "savers": list(session.options.savers or []),
           "slowdowns": [f"{s.backend}:{s.method}={s.share}" for s in getattr(session, "slowdowns", ())],
           "flavour": cond.flavour, "loop": cond.loop, "plan": [cond.plan.rounds, cond.plan.per_round, cond.plan.warmup],
           "history": cond.history, "ops": op_names, "scope": f"{session.new_scope()}w{index}", "retime": cond.retime,
           "pairs": [p.spec for p in getattr(session, "pairs", None) or ()]}
    env = {**os.environ, "PYTHONHASHSEED": str(index)}  # pyperf varies the hash seed per worker on purpose
    done = subprocess.run([sys.executable, "-m", "parity.measuring.workers"], input=json.dumps(job), text=True,
                          capture_output=True, timeout=WORKER_TIMEOUT_S, env=env)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"worker process {index} failed (exit {done.returncode}): {tail[:200]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    for row in out.get("noise", []):  # windows the worker timed again: kept, as this process keeps its own
        session.add("noise", {**row, "worker": index})
    return out["ratios"]


class _WorkerSession:
    """What latency.run_cell needs of a session, inside a worker: scopes under the parent's, rows kept."""

    def __init__(self, scope: str, slowdowns: list | None = None, pairs: list | None = None) -> None:
        self.scope, self.n, self.doc = scope, 0, {}
        self.pairs = pairs  # the parent run's --pair: the ratios it times
        self.slowdowns = slowdowns or []  # the parent run's injected slowdowns (parity.measuring.slowdown)

    def new_scope(self) -> str:
        self.n += 1
        return f"{self.scope}_{self.n}"

    def add(self, section: str, row: dict[str, Any]) -> None:
        self.doc.setdefault(section, []).append(row)


def _work(job: dict[str, Any]) -> dict[str, Any]:
    from parity import families
    from parity.backends.registry import registry_with
    from parity.loops import select as select_loops
    from parity.measuring import latency, ops
    from parity.measuring.latency import Conditions
    from parity.measuring.runner import run_sync
    from parity.measuring.timing import Plan
    from parity.servers.endpoint import Endpoint

    registry = registry_with(job["savers"])
    backends = [registry.get(n) for n in job["backends"]]
    endpoints = {}
    for family, e in job["endpoints"].items():
        ep = Endpoint(family, e["url"], e["provider"], owned=False, settings=e["settings"])
        ep.probe = families.probe(family, ep.url)
        endpoints[family] = ep
    cond = Conditions("defaults", job["flavour"], job["loop"], endpoints, Plan(*job["plan"]), job["history"],
                      retime=bool(job.get("retime")))
    wanted = {tuple(o) for o in job["ops"]}
    op_list = [op for op in ops.CORE_OPS if (op.name, op.payload) in wanted]
    from parity.measuring.slowdown import parse

    from parity import roles

    session = _WorkerSession(job["scope"], [parse(s) for s in job.get("slowdowns") or []],
                             [roles.parse(s) for s in job.get("pairs") or []] or None)

    async def go():
        await latency.run_cell(session, cond, op_list, backends)
    if job["flavour"] == "sync":
        run_sync(go())
    else:
        loop = next(lp for lp in select_loops([job["loop"]]) if lp.name == job["loop"])
        ev = loop.factory()
        try:
            ev.run_until_complete(go())
        finally:
            ev.close()
    return {"ratios": session.doc.get("ratios", []), "noise": session.doc.get("noise", [])}


def main() -> int:
    job = json.loads(sys.stdin.read())
    devnull = open(os.devnull, "w")
    real, sys.stdout = sys.stdout, devnull  # progress lines and library chatter stay out of the JSON line
    try:
        rows = _work(job)
    finally:
        sys.stdout = real
    print(json.dumps(rows, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
