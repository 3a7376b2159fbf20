"""Cluster (C15): do three embedded servers of the candidate's family form a cluster (Lever.CLUSTER), and does its
saver (Capability.CLUSTER: its factory opens on a cluster's nodes) work there?"""

from __future__ import annotations

import time
import uuid
from typing import Any

from parity import families
from parity.backends.backend import SaverContext
from parity.injecting import common
from parity.servers.readiness import ServerStartError, free_port


def scenarios(backend, servers) -> dict[str, Any]:
    """A few saver scenarios on the cluster: setup (opening the saver), graph run to the interrupt, read back, list,
    resume. Each step's outcome is recorded, "ok" or the error."""
    from langgraph.types import Command

    nodes = [("127.0.0.1", s.port) for s in servers]
    ctx = SaverContext(servers[0].endpoint(), f"cl_{uuid.uuid4().hex[:6]}", {"cluster": nodes}, keep=True)
    steps = (("run to interrupt (5 threads)", lambda s, a: [a.invoke(common.start_input(i), common.config(f"c-{i}"))
                                                           for i in range(5)]),
             ("get_state of each thread", lambda s, a: _all(a.get_state(common.config(f"c-{i}")).next == ("ask",)
                                                             for i in range(5))),
             ("list each thread (3 checkpoints)", lambda s, a: _all(len(list(s.list(common.config(f"c-{i}")))) == 3
                                                                     for i in range(5))),
             ("resume each thread", lambda s, a: _all(a.invoke(Command(resume="go"), common.config(f"c-{i}"))
                                                      == common.expected_final(i) for i in range(5))))
    results: dict[str, Any] = {}
    try:
        with backend.saver("sync", ctx) as saver:  # the factory's setup runs here
            results["setup"] = "ok"
            app = common.builder().compile(checkpointer=saver)
            for name, step in steps:
                try:
                    out = step(saver, app)
                    results[name] = "ok" if out is None or isinstance(out, list) else out
                except Exception as exc:  # each step's outcome is the observation
                    results[name] = common.error_text(exc)
    except Exception as exc:  # opening (setup) or closing failed: recorded where it happened
        results.setdefault("setup", common.error_text(exc))
        if results["setup"] == "ok":
            results["close"] = common.error_text(exc)
    return results


def _all(checks) -> str:
    values = list(checks)
    return "ok" if all(values) else f"wrong result for {values.count(False)} of {len(values)} threads"


def study(start, backend) -> dict[str, Any]:
    """start(settings) -> an owned embedded server of the backend's family; the C15 observation row of `backend`,
    whose saver runs the scenarios on a 3-master cluster of them."""
    family = families.get(backend.family)
    t0 = time.monotonic()
    row: dict[str, Any] = {"backend": backend.name, "case": f"{family.title} cluster (3 masters, loopback)"}
    try:
        servers = [start(family.cluster_settings(free_port())) for _ in range(3)]
    except ServerStartError as exc:  # only a node that will not start in cluster mode is the answer; the rest is loud
        row.update(formed=False, observed=f"not-applicable: a cluster node did not start: {common.error_text(exc)}")
        return row
    row["modules"] = families.probe(backend.family, servers[0].url).get("modules", [])
    reason = family.form_cluster(servers)
    row["formed"] = reason is None
    if reason:
        row["observed"] = f"not-applicable: the embedded {family.title} servers did not form a cluster: {reason}"
        return row
    row["scenarios"] = scenarios(backend, servers)
    ok = [k for k, v in row["scenarios"].items() if v == "ok"]
    row["observed"] = (f"cluster formed; {len(ok)}/{len(row['scenarios'])} saver scenarios ok; "
                       + "; ".join(f"{k}: {v}" for k, v in row["scenarios"].items() if v != "ok"))[:600]
    row["seconds"] = round(time.monotonic() - t0, 2)
    return row
