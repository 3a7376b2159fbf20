"""Footprint per op (commands, wire bytes, server CPU, bytes stored) and what-if network distance via DelayProxy."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit, urlunsplit

from parity.backends.capabilities import Capability as C
from parity.backends.registry import SaverContext
from parity.bench import floors, latency, ops, timing
from parity.bench.latency import Cell, progress
from parity.netproxy import DelayProxy

FOOTPRINT_OPS = [ops.Op("put", "1KB"), ops.Op("put_writes", "1KB"), ops.Op("get_tuple_latest", "1KB", kind="read"),
                 ops.Op("list_10", "1KB", (C.LIST_LIMIT,), kind="read")]


def proxied(endpoint, proxy: DelayProxy):
    parts = urlsplit(endpoint.url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{proxy.port}"
    url = urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))
    return dataclasses.replace(endpoint, url=url)


def start_proxy(endpoint, delay_s: float = 0.0) -> DelayProxy:
    parts = urlsplit(endpoint.url)
    return DelayProxy(parts.hostname, parts.port, delay_s=delay_s).start()


class ServerCounters:
    """Server-side counters of one family: commands (Redis commandstats / Postgres xacts), CPU, memory."""

    def __init__(self, endpoint) -> None:
        self.ep = endpoint

    def commands(self) -> int | None:
        if self.ep.family == "redis":
            import redis
            with redis.Redis.from_url(self.ep.url) as r:
                return sum(v["calls"] for k, v in r.info("commandstats").items())
        # Postgres: pg_stat_statements needs shared_preload_libraries (not set on the session server) and
        # pg_stat_database counters flush lazily (>= 1 s after a busy backend's commit): no reliable count.
        return None

    def cpu_s(self) -> float | None:
        import psutil
        if not self.ep.pid:
            return None
        try:
            proc = psutil.Process(self.ep.pid)
            procs = [proc] + proc.children(recursive=True)
            return sum(sum(p.cpu_times()[:2]) for p in procs if p.is_running())
        except psutil.Error:
            return None

    def stored_bytes(self, scope: str) -> int | None:
        if self.ep.family == "redis":
            import redis
            with redis.Redis.from_url(self.ep.url) as r:
                return int(r.info("memory")["used_memory"])
        import psycopg
        with psycopg.connect(self.ep.url, autocommit=True) as conn:
            total = conn.execute("SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r'",
                                (scope,)).fetchone()[0]
            return int(total)  # sum() of bigint is numeric: a Decimal, not JSON-able as a number


async def footprint(session, cell: Cell, backend, calls: int) -> list[dict]:
    """Per-call averages of each op through a zero-delay proxy: wire bytes, server commands, CPU; bytes stored."""
    ep = cell.endpoints[backend.family]
    counters, proxy = ServerCounters(ep), start_proxy(ep)
    rows = []
    try:
        scope = session.new_scope()
        mem0 = counters.stored_bytes(scope)
        with backend.saver("sync", SaverContext(proxied(ep, proxy), scope)) as saver:
            sc = ops.SaverCalls(saver, "sync", backend.has(C.FULL_HISTORY))
            stored = None
            for op in FOOTPRINT_OPS:
                if not op.applicable(backend):
                    continue
                call = await ops.prepare(op, sc, f"fp-{op.name}", calls, 10)
                call(0)
                b0, c0, cpu0 = proxy.bytes_up + proxy.bytes_down, counters.commands(), counters.cpu_s()
                for i in range(1, calls + 1):
                    call(i)
                b1, c1, cpu1 = proxy.bytes_up + proxy.bytes_down, counters.commands(), counters.cpu_s()
                if op.name == "put":
                    stored = (counters.stored_bytes(scope) - mem0) / (calls + 12)  # 12: the thread's fill + warm-up
                # The counter reads themselves are one command / transaction each: subtract them.
                cmds = (c1 - c0 - 1) / calls if c0 is not None and c1 is not None else None
                row = {"backend": backend.name, "family": backend.family, "op": op.name, "payload": op.payload,
                       "commands_per_call": cmds, "commands_counter": "commandstats calls" if backend.family == "redis"
                       else "not measured: pg_stat_statements not loaded, pg_stat_database flushes lazily",
                       "cpu_resolution_ms_per_call": 10.0 / calls,  # psutil CPU times tick at 10 ms
                       "round_trips": None, "bytes_wire": (b1 - b0) / calls,
                       "server_cpu_ms": (cpu1 - cpu0) * 1000 / calls if cpu0 is not None and cpu1 is not None else None,
                       "bytes_stored_per_checkpoint": stored if op.name == "put" else None,
                       "stored_counter": "used_memory delta" if backend.family == "redis"
                       else "pg_total_relation_size of the scope's tables",
                       "settings": latency.settings_label(ep), "calls": calls}
                session.add("footprint", row)
                rows.append(row)
                progress(f"footprint {backend.name} {op.name}: {row['bytes_wire']:.0f} B wire, "
                         f"{cmds if cmds is None else round(cmds, 2)} cmds, cpu {row['server_cpu_ms']} ms/call"
                         + (f", {stored:.0f} B stored/checkpoint" if op.name == "put" and stored else ""))
    finally:
        proxy.stop()
    return rows


NETWORK_OPS = [ops.Op("put", "1KB"), ops.Op("get_tuple_latest", "1KB", kind="read"),
               ops.Op("list_10", "1KB", (C.LIST_LIMIT,), kind="read")]


async def distance(session, cell: Cell, backends: list, delays_ms: tuple) -> None:
    """The core ops through DelayProxy with each one-way delay; rtt of a bare round trip measured alongside."""
    proxies = {fam: start_proxy(ep) for fam, ep in cell.endpoints.items()}
    try:
        via = dataclasses.replace(cell, endpoints={f: proxied(ep, proxies[f]) for f, ep in cell.endpoints.items()})
        async with latency.open_savers(session, via, backends) as savers:
            for delay in delays_ms:
                for p in proxies.values():
                    p.set_delay(delay / 1000)
                async with floors.round_trip(via.endpoints[backends[0].family], "sync") as rt:
                    rtt = timing.describe(timing.interleave_sync({"rt": rt}, timing.Plan(3, 10, 3))["rt"], ci=False)["p50_ms"]
                for op in NETWORK_OPS:
                    arms = {b.name: await ops.prepare(op, savers[b.name], f"net{delay}-{op.name}", 0, 20)
                            for b in backends if op.applicable(b)}
                    ops.reset_shared()
                    await timing.warm_up(arms, via.plan.warmup or 1, False)
                    samples = timing.interleave_sync(arms, via.plan, start=via.plan.warmup or 1)
                    parts = []
                    for name, ns in samples.items():
                        d = timing.describe(ns, ci=False)
                        b = next(b for b in backends if b.name == name)
                        session.add("network", {"delay_ms": delay, "rtt_ms": rtt, "backend": name, "family": b.family,
                                                "flavour": "sync", "op": op.name, "p50_ms": d["p50_ms"],
                                                "p99_ms": d["p99_ms"], "n": d["n"],
                                                "settings": latency.settings_label(cell.endpoints[b.family])})
                        parts.append(f"{name} {d['p50_ms']:.3f}")
                    progress(f"network delay {delay} ms (rtt {rtt:.3f} ms) {op.name}: " + ", ".join(parts))
    finally:
        for p in proxies.values():
            p.stop()
