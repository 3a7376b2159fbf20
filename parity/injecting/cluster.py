"""Cluster (C15): can an embedded Redis-protocol server form a 3-master cluster with the modules, and does the saver
work on it?"""

from __future__ import annotations

import time
import uuid
from typing import Any

from parity.injecting import common
from parity.servers.readiness import ServerStartError, free_port

SLOTS = ((0, 5460), (5461, 10922), (10923, 16383))
FORM_TIMEOUT_S = 20.0
CLUSTER_SETTINGS = {"cluster-enabled": "yes", "cluster-config-file": "nodes.conf", "cluster-node-timeout": "2000",
                    "save": "", "appendonly": "no"}


def form(servers) -> str | None:
    """Assign slots and MEET on loopback; None when cluster_state is ok on every node, else the reason.

    Only the expected handshake failures become a reason (the node refuses CLUSTER ADDSLOTSRANGE/MEET with an
    error reply, drops or times out the connection); anything else is a harness bug and propagates.
    """
    import redis

    handshake_errors = (redis.ResponseError, redis.ConnectionError, redis.TimeoutError)
    clients = [redis.Redis(host="127.0.0.1", port=s.port, socket_timeout=5) for s in servers]
    try:
        for client, (lo, hi) in zip(clients, SLOTS):
            client.execute_command("CLUSTER", "ADDSLOTSRANGE", lo, hi)
        for s in servers[1:]:
            clients[0].execute_command("CLUSTER", "MEET", "127.0.0.1", s.port, s.settings["cluster-port"])
        deadline = time.monotonic() + FORM_TIMEOUT_S
        while time.monotonic() < deadline:
            states = [c.execute_command("CLUSTER", "INFO") for c in clients]
            states = [s.decode() if isinstance(s, bytes) else str(s) for s in states]
            if all("cluster_state:ok" in s for s in states):
                return None
            time.sleep(0.2)
        return f"cluster_state not ok after {FORM_TIMEOUT_S:.0f} s"
    except handshake_errors as exc:
        return common.error_text(exc)
    finally:
        for c in clients:
            c.close()


def modules_of(server) -> list[str]:
    import redis

    with redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=5) as c:
        return sorted((m[b"name"].decode() if isinstance(m[b"name"], bytes) else m["name"]) for m in c.module_list())


def scenarios(servers) -> dict[str, Any]:
    """A few saver scenarios through RedisCluster: setup, graph run to the interrupt, read back, list, resume."""
    from langgraph.checkpoint.redis import RedisSaver
    from langgraph.types import Command
    from redis.cluster import ClusterNode, RedisCluster

    prefix = f"cl_{uuid.uuid4().hex[:6]}"
    results: dict[str, Any] = {}
    rc = RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", s.port) for s in servers], socket_timeout=5)
    try:
        steps = (("setup", lambda s, a: s.setup()),
                 ("run to interrupt (5 threads)", lambda s, a: [a.invoke(common.start_input(i), common.config(f"c-{i}"))
                                                               for i in range(5)]),
                 ("get_state of each thread", lambda s, a: _all(a.get_state(common.config(f"c-{i}")).next == ("ask",)
                                                                 for i in range(5))),
                 ("list each thread (3 checkpoints)", lambda s, a: _all(len(list(s.list(common.config(f"c-{i}")))) == 3
                                                                         for i in range(5))),
                 ("resume each thread", lambda s, a: _all(a.invoke(Command(resume="go"), common.config(f"c-{i}"))
                                                          == common.expected_final(i) for i in range(5))))
        saver = RedisSaver(redis_client=rc, checkpoint_prefix=f"{prefix}_checkpoint",
                           checkpoint_write_prefix=f"{prefix}_checkpoint_write")
        app = common.builder().compile(checkpointer=saver)
        for name, step in steps:
            try:
                out = step(saver, app)
                results[name] = "ok" if out is None or isinstance(out, list) else out
            except Exception as exc:  # each step's outcome is the observation
                results[name] = common.error_text(exc)
    except Exception as exc:
        results["client"] = common.error_text(exc)
    finally:
        rc.close()
    return results


def _all(checks) -> str:
    values = list(checks)
    return "ok" if all(values) else f"wrong result for {values.count(False)} of {len(values)} threads"


def study(start, backend: str, family: str) -> dict[str, Any]:
    """start(settings) -> an owned embedded server of `family` (a Redis-protocol one); the C15 observation row of
    `backend` (its saver, langgraph-checkpoint-redis's RedisSaver, runs the scenarios)."""
    from parity import families

    t0 = time.monotonic()
    row: dict[str, Any] = {"backend": backend,
                           "case": f"{families.get(family).title} cluster (3 masters, loopback, modules loaded)"}
    try:
        # cluster-port explicitly: the default (port + 10000) is invalid for ports above 55535
        servers = [start({**CLUSTER_SETTINGS, "cluster-port": free_port()}) for _ in range(3)]
    except ServerStartError as exc:  # only a node that will not start in cluster mode is the answer; the rest is loud
        row.update(formed=False, observed=f"not-applicable: a cluster node did not start: {common.error_text(exc)}")
        return row
    row["modules"] = modules_of(servers[0])
    reason = form(servers)
    row["formed"] = reason is None
    if reason:
        row["observed"] = f"not-applicable: the embedded {family} server did not form a cluster: {reason}"
        return row
    row["scenarios"] = scenarios(servers)
    ok = [k for k, v in row["scenarios"].items() if v == "ok"]
    row["observed"] = (f"cluster formed; {len(ok)}/{len(row['scenarios'])} saver scenarios ok; "
                       + "; ".join(f"{k}: {v}" for k, v in row["scenarios"].items() if v != "ok"))[:600]
    row["seconds"] = round(time.monotonic() - t0, 2)
    return row
