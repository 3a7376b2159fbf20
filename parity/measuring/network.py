"""Footprint per op (commands, wire bytes, server CPU, bytes stored) and what-if network distance via DelayProxy."""

from __future__ import annotations

import contextlib
import dataclasses
import time
from urllib.parse import urlsplit, urlunsplit

from parity import families
from parity.backends.capabilities import Capability as C
from parity.backends.backend import SaverContext
from parity.measuring import floors, latency, ops, timing
from parity.measuring.latency import Conditions, progress
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
    """Server-side counters of one family (its Family's open_counter / commands / stored_bytes), CPU, memory.

    A family whose counting needs settings (Family.statements_settings) counts only when `statements` is set: the
    endpoint must have them (the session server keeps pure defaults; see `statements_endpoint`).
    """

    def __init__(self, endpoint, statements: bool = False) -> None:
        self.ep, self.statements = endpoint, statements
        self._conn = None  # one connection for every counter read: connecting costs commands of its own
        self.overhead = 0  # commands a counter read itself adds to the next read (calibrated)
        self.family = families.get(endpoint.family)
        self.commands_counter = self.family.commands_counter(statements)
        self.cpu_counter = "psutil cpu_times (10 ms ticks)"

    def open(self) -> "ServerCounters":
        self._conn = self.family.open_counter(self.ep.url, self.statements)
        if self._conn is not None:
            a = self.commands()
            self.overhead = self.commands() - a  # a read with nothing between: what reading itself adds
        return self

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def reset(self) -> None:
        if self._conn is not None:
            self.family.reset_commands(self._conn)

    def commands(self) -> int | None:
        if self._conn is None:
            return None  # this server cannot count them (see Family.open_counter)
        return self.family.commands(self._conn)

    def commands_delta(self, c0: int | None, c1: int | None) -> int | None:
        return None if c0 is None or c1 is None else c1 - c0 - self.overhead

    def cpu_s(self) -> float | None:
        """CPU seconds of the server process tree: schedstat's nanosecond run time when readable, else psutil."""
        import psutil
        if not self.ep.pid:
            return None
        try:
            proc = psutil.Process(self.ep.pid)
            procs = [proc] + proc.children(recursive=True)
        except psutil.Error:
            return None
        total, precise = 0.0, True
        for p in procs:
            try:
                ns = sum(int(open(f"/proc/{p.pid}/task/{tid}/schedstat").read().split()[0])
                         for tid in _tids(p.pid))
                total += ns / 1e9
            except (OSError, ValueError, IndexError):
                precise = False
                break
        if precise:
            self.cpu_counter = "/proc schedstat run time of the server process tree (ns)"
            return total
        try:
            self.cpu_counter = "psutil cpu_times (10 ms ticks)"
            return sum(sum(p.cpu_times()[:2]) for p in procs if p.is_running())
        except psutil.Error:
            return None

    def stored_bytes(self, scope: str) -> int | None:
        return self.family.stored_bytes(self.ep.url, scope)


def _tids(pid: int) -> list[str]:
    import os
    return os.listdir(f"/proc/{pid}/task")


@contextlib.contextmanager
def statements_endpoint(session, endpoint):
    """(endpoint that counts every statement, why-not) for a family whose counting needs settings preloaded
    (`Family.statements_settings`, e.g. Postgres's pg_stat_statements).

    The session server itself if it already counts them (an external server may), else an owned server (the
    session's provider) started with those settings, so the session server keeps pure defaults. Yields (None,
    reason) if neither is possible.
    """
    family = families.get(endpoint.family)
    what = family.statements_what
    try:
        preloaded = family.counts_statements(endpoint.url)
        note = f"session server does not preload {what}"
    except Exception as exc:  # noqa: BLE001 - permissions or the extension missing: try an owned server
        preloaded, note = False, f"session server: {exc}"
    if preloaded:
        yield endpoint, None
        return
    from parity.servers.readiness import ServerStartError
    try:
        server = session.pool.start_owned(endpoint.family, dict(family.statements_settings))
    except (ServerStartError, OSError, RuntimeError) as exc:
        yield None, f"not measured: {note}, and no owned {endpoint.family} server with {what}: {exc}"
        return
    try:
        ep, why_not = server.endpoint(), None
        try:
            if not family.counts_statements(ep.url):
                settings = ", ".join(f"{k}={v}" for k, v in family.statements_settings.items())
                ep, why_not = None, f"not measured: {settings} did not take"
        except Exception as exc:  # noqa: BLE001 - the build may lack the extension
            ep, why_not = None, f"not measured: {what} unavailable on an owned {endpoint.family} server: {exc}"
        yield ep, why_not
    finally:
        session.pool.release(server)


async def _measure(session, endpoint, backend, calls: int, counters: ServerCounters, proxy: DelayProxy | None,
                   full: bool) -> dict[str, dict]:
    """One pass over FOOTPRINT_OPS on endpoint (through proxy if given): op name -> per-call figures.

    full: also server CPU and bytes stored (the counting pass on the statements server measures commands only).
    """
    out: dict[str, dict] = {}
    ops.reset_shared()  # read threads are cached per SaverCalls id: never reuse one from another saver
    scope = session.new_scope()
    mem0 = counters.stored_bytes(scope) if full else None
    via = proxied(endpoint, proxy) if proxy is not None else endpoint
    with backend.saver("sync", SaverContext(via, scope)) as saver:
        sc = ops.SaverCalls(saver, "sync", backend.has(C.FULL_HISTORY))
        for op in FOOTPRINT_OPS:
            if not op.applicable(backend):
                continue
            call = await ops.prepare(op, sc, f"fp-{op.name}", calls, 10)
            call(0)
            counters.reset()
            b0 = proxy.bytes_up + proxy.bytes_down if proxy else None
            t0 = proxy.turns if proxy else None
            c0 = counters.commands()
            cpu0 = counters.cpu_s() if full else None
            for i in range(1, calls + 1):
                call(i)
            cpu1 = counters.cpu_s() if full else None
            c1 = counters.commands()
            # The proxy counts bytes just after passing them on, which can trail the client's return a moment.
            if proxy is not None:
                time.sleep(0.005)
            t1 = proxy.turns if proxy else None
            b1 = proxy.bytes_up + proxy.bytes_down if proxy else None
            d = counters.commands_delta(c0, c1)
            fig = {"commands_per_call": d / calls if d is not None else None,
                   "round_trips": (t1 - t0) / calls if proxy else None,
                   "bytes_wire": (b1 - b0) / calls if proxy else None,
                   "server_cpu_ms": (cpu1 - cpu0) * 1000 / calls if cpu0 is not None and cpu1 is not None else None,
                   "bytes_stored_per_checkpoint": None}
            if full and op.name == "put":  # 12: the thread's fill + warm-up
                fig["bytes_stored_per_checkpoint"] = (counters.stored_bytes(scope) - mem0) / (calls + 12)
            out[op.name] = fig
    return out


async def footprint(session, cond: Conditions, backend, calls: int, statements=(None, None)) -> list[dict]:
    """Per-call averages of each op through a zero-delay proxy: wire bytes, round trips, server commands, CPU;
    bytes stored. statements: (endpoint, why-not) from `statements_endpoint` for a family that needs settings to
    count (Postgres): its statements are counted in a second pass there, the rest is measured on the session server."""
    ep = cond.endpoints[backend.family]
    counters, proxy = ServerCounters(ep).open(), start_proxy(ep)
    try:
        figs = await _measure(session, ep, backend, calls, counters, proxy, full=True)
    finally:
        proxy.stop()
        counters.close()
    commands_counter = counters.commands_counter
    family = families.get(backend.family)
    if family.statements_settings:
        st_ep, why_not = statements
        if st_ep is None:
            commands_counter = why_not or f"not measured: {family.statements_what} not loaded"
        else:
            st = ServerCounters(st_ep, statements=True).open()
            try:
                counted = await _measure(session, st_ep, backend, calls, st, None, full=False)
            finally:
                st.close()
            for name, fig in figs.items():
                fig["commands_per_call"] = counted[name]["commands_per_call"]
            commands_counter = st.commands_counter
    rows = []
    for op in FOOTPRINT_OPS:
        if op.name not in figs:
            continue
        fig = figs[op.name]
        row = {"backend": backend.name, "family": backend.family, "op": op.name, "payload": op.payload,
               "full_history": backend.has(C.FULL_HISTORY), **fig,
               "commands_counter": commands_counter,
               "round_trips_counter": "DelayProxy turns: client->server data followed by server->client data, "
                                      "per connection (a pipelined batch is one)",
               "bytes_wire_counter": "DelayProxy bytes forwarded both ways",
               "cpu_counter": counters.cpu_counter,
               "cpu_resolution_ms_per_call": (1e-6 if counters.cpu_counter.startswith("/proc") else 10.0) / calls,
               "stored_counter": family.stored_counter,
               "settings": latency.settings_label(ep), "calls": calls}
        session.add("footprint", row)
        rows.append(row)
        cmds, rt, cpu = row["commands_per_call"], row["round_trips"], row["server_cpu_ms"]
        progress(f"footprint {backend.name} {op.name}: {row['bytes_wire']:.0f} B wire, "
                 f"{cmds if cmds is None else round(cmds, 2)} cmds in {rt if rt is None else round(rt, 2)} round trips, "
                 f"cpu {cpu if cpu is None else round(cpu, 3)} ms/call"
                 + (f", {row['bytes_stored_per_checkpoint']:.0f} B stored/checkpoint"
                    if op.name == "put" and row["bytes_stored_per_checkpoint"] else ""))
    return rows


NETWORK_OPS = [ops.Op("put", "1KB"), ops.Op("get_tuple_latest", "1KB", kind="read"),
               ops.Op("list_10", "1KB", (C.LIST_LIMIT,), kind="read")]


async def distance(session, cond: Conditions, backends: list, delays_ms: tuple) -> None:
    """The core ops through DelayProxy with each one-way delay; rtt of a bare round trip measured alongside."""
    proxies = {fam: start_proxy(ep) for fam, ep in cond.endpoints.items()}
    try:
        via = dataclasses.replace(cond, endpoints={f: proxied(ep, proxies[f]) for f, ep in cond.endpoints.items()})
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
                                                "settings": latency.settings_label(cond.endpoints[b.family])})
                        parts.append(f"{name} {d['p50_ms']:.3f}")
                    progress(f"network delay {delay} ms (rtt {rtt:.3f} ms) {op.name}: " + ", ".join(parts))
    finally:
        for p in proxies.values():
            p.stop()
