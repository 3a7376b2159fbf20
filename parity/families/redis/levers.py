"""The Redis family's fault levers on servers the suite owns (any Redis-protocol server): keys' TTLs, a memory limit,
a loopback cluster."""

from __future__ import annotations

import contextlib
import time
from typing import Any, Callable, Iterator

# The registry langgraph-checkpoint-redis keeps outside checkpoint_prefix (RedisSaver's `write_keys_zset:*`): its
# keys get the TTL too, so the TTL study reads them beside the scope's own.
REGISTRY = b"write_keys_zset"
SLOTS = ((0, 5460), (5461, 10922), (10923, 16383))  # three masters, the 16384 slots split evenly
FORM_TIMEOUT_S = 20.0


def scope_ttls(url: str, scope: str) -> dict[str, int]:
    """{key: TTL in seconds, -1 for none} of the scope's keys and the savers' un-prefixed registries (the server is
    owned by the study: no other writer's registry is there)."""
    import redis

    with redis.Redis.from_url(url) as client:
        keys = [k for k in client.scan_iter(count=1000) if k.startswith(scope.encode()) or REGISTRY in k]
        return {k.decode(): int(client.ttl(k)) for k in keys}


def _used(client) -> int:
    return int(client.info("memory")["used_memory"])


@contextlib.contextmanager
def memory_limit(url: str, headroom: int, policy: str) -> Iterator[Callable[[], dict[str, int]]]:
    """maxmemory = used now + headroom with the given maxmemory-policy; maxmemory 0 (no limit) again on exit."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.config_set("maxmemory-policy", policy)
        client.config_set("maxmemory", _used(client) + headroom)
        try:
            yield lambda: {"keys": int(client.dbsize()), "used": _used(client)}
        finally:
            client.config_set("maxmemory", 0)
    finally:
        client.close()


def cluster_settings(cluster_port: int) -> dict[str, Any]:
    # cluster-port explicitly: the default (port + 10000) is invalid for ports above 55535
    return {"cluster-enabled": "yes", "cluster-config-file": "nodes.conf", "cluster-node-timeout": "2000",
            "save": "", "appendonly": "no", "cluster-port": cluster_port}


def form_cluster(servers: list) -> str | None:
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
        return " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
    finally:
        for c in clients:
            c.close()
