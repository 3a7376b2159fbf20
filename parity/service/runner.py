"""Run the service part: per pair, model latency and pool arm, one app process per backend, k6 at each rate.

The two apps of a pair run side by side and take turns rate by rate (order alternating), so both backends see the
same stretch of a busy machine. Every process (apps, k6) is registered with the suite's reaper in a temp root of
its own: a normal end, an exception, Ctrl-C and even a SIGKILL of this process leave none behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

from parity import families
from parity.service import loadgen
from parity.service.plan import ARMS, ServicePlan, pool_for
from parity.servers import reaper
from parity.servers.embedded import TempRoot
from parity.servers.readiness import free_port

START_TIMEOUT_S = 90.0  # an app imports LangGraph and opens its saver; on a busy 2-CPU machine that took ~5 s


class App:
    """One app process (backend, pool arm, model latency) on a loopback port of its own."""

    def __init__(self, root: TempRoot, config: dict[str, Any]) -> None:
        self.root, self.config = root, {**config, "port": free_port()}
        self.dir = root.subdir(f"app-{config['backend']}")
        self.url = f"http://127.0.0.1:{self.config['port']}"
        self.proc: subprocess.Popen | None = None
        self.health: dict[str, Any] = {}  # what the app says of itself: its event loop, the pool its saver holds

    def spawn(self) -> "App":
        (self.dir / "config.json").write_text(json.dumps(self.config))
        with open(self.dir / "app.log", "wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "parity.service.app", str(self.dir / "config.json")],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)  # its own group: a terminal's Ctrl-C is ours to pass
        reaper.register(self.root.path, self.proc.pid)
        return self

    def ready(self) -> "App":
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the {self.config['backend']} app exited {self.proc.returncode} at start: "
                                   f"{self.log_tail()}")
            try:
                self.health = self.call("GET", "/health", timeout=2)
                return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):  # not listening yet
                time.sleep(0.2)
        raise RuntimeError(f"the {self.config['backend']} app did not answer within {START_TIMEOUT_S:g} s: "
                           f"{self.log_tail()}")

    def log_tail(self) -> str:
        lines = (self.dir / "app.log").read_text(errors="replace").strip().splitlines()
        return " | ".join(lines[-3:]) or "(no output)"

    def call(self, method: str, path: str, timeout: float = 30) -> dict[str, Any]:
        req = urllib.request.Request(self.url + path, method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read() or b"{}")

    def settle(self, timeout: float = 30.0) -> float:
        """Wait until the app has answered every request k6 sent (ones k6 gave up on still run to the end), so their
        time counts in this rate's server figures and not in the next one's; returns the seconds waited."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout and self.call("GET", "/health").get("in_flight", 0) > 0:
            time.sleep(0.1)
        return round(time.monotonic() - t0, 2)

    def warm(self, turns: int) -> dict[str, Any]:
        """Sequential turns before the first rate (connections, first compile); their figures are discarded."""
        for _ in range(turns):
            try:
                self.call("POST", "/turn")
            except urllib.error.HTTPError:
                pass  # counted in the discarded window; an app that always fails shows it at every rate
        return self.call("POST", "/window")

    def cpus(self) -> list[int] | None:
        try:
            return sorted(os.sched_getaffinity(self.proc.pid)) if self.proc and hasattr(os, "sched_getaffinity") else None
        except OSError:
            return None

    def terminate(self) -> None:
        """SIGTERM: uvicorn shuts down, the lifespan closes the saver and drops its scope."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        if self.proc is not None:
            reaper.kill_tree(self.proc.pid)  # the app and anything it left in its session
            self.proc.wait()


def stop_all(apps: list[App], timeout: float = 15.0) -> None:
    """Every app asked to stop at once, waited for together, then killed; a Ctrl-C while waiting kills at once."""
    try:
        for app in apps:
            app.terminate()
        deadline = time.monotonic() + timeout
        for app in apps:
            if app.proc is not None:
                try:
                    app.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
    finally:
        for app in apps:
            app.kill()


def layout(apps: dict[str, App], endpoints: dict[str, Any]) -> dict[str, Any]:
    """Which CPUs the apps, the servers and k6 (which inherits this process's set) may use; nothing is pinned."""
    mine = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    servers = {}
    for family, ep in endpoints.items():
        try:
            servers[family] = sorted(os.sched_getaffinity(ep.pid)) if ep.pid and mine is not None else None
        except OSError:
            servers[family] = None
    n = len(mine) if mine else (os.cpu_count() or 1)
    return {"pinned": False, "cpus": n, "apps": {k: a.cpus() for k, a in apps.items()}, "k6": mine,
            "servers": servers, "competing": n < 3 + len(endpoints),
            "note": (f"on {n} CPUs the app, {', '.join(endpoints) or 'no'} server(s) and k6 share the same cores and "
                     "compete for them: the figures include that contention" if n < 3 + len(endpoints) else
                     f"{n} CPUs, placed by the scheduler")}


def measure(session, plan: ServicePlan, workload: str, pairs: list[tuple[str, str]], endpoints: dict[str, Any],
            add: Callable[[dict[str, Any]], None], progress: Callable[[str], None]) -> dict[str, Any]:
    """Rows for every pair x model latency x pool arm x rate x backend (each via add); returns the layout seen."""
    root = TempRoot()
    seen: dict[str, Any] = {}
    try:
        for pair in pairs:
            for model_ms in plan.model_ms:
                for arm in ARMS:
                    seen = _block(session, root, plan, workload, pair, model_ms, arm, endpoints, add, progress)
    finally:
        root.remove()  # kills whatever is still registered (an app or k6 cut short), then removes the folder
    return seen


def _config(session, backend, endpoint, workload: str, model_ms: int, pool) -> dict[str, Any]:
    ep = None if endpoint is None else {k: getattr(endpoint, k) for k in ("family", "url", "provider", "owned")}
    return {"backend": backend.name, "savers": list(session.options.savers), "endpoint": ep,
            "scope": session.new_scope(), "pool": pool, "workload": workload, "model_ms": model_ms}


def _block(session, root, plan, workload, pair, model_ms, arm, endpoints, add, progress) -> dict[str, Any]:
    backends = {name: session.registry.get(name) for name in pair}
    pool = pool_for(arm, plan, model_ms)
    apps: dict[str, App] = {}
    try:
        for name, b in backends.items():  # started together, waited for together: imports overlap
            apps[name] = App(root, _config(session, b, endpoints.get(b.family), workload, model_ms, pool)).spawn()
        with ThreadPoolExecutor(len(apps)) as warming:  # each app warms on its own: neither waits for the other
            list(warming.map(lambda app: app.ready().warm(plan.warmup_turns), apps.values()))
        where = layout(apps, {b.family: endpoints[b.family] for b in backends.values() if b.family in endpoints})
        for i, rate in enumerate(plan.rates):
            for name in (pair if i % 2 == 0 else tuple(reversed(pair))):
                load = loadgen.Load(rate, plan.duration_s)
                before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
                got = loadgen.run(apps[name].url, load, root.subdir(f"k6-{name}"), root.path)
                settled = apps[name].settle()
                server = {**apps[name].call("POST", "/window"), "settle_s": settled}
                after = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
                row = _row(backends[name], pair, arm, pool, model_ms, load, got, server, where, (before, after))
                row["pool_seen"], row["app_loop"] = apps[name].health.get("pool"), apps[name].health.get("loop")
                row["provider"] = session.provider_of(backends[name].family)  # where its server came from
                row["samples_by_second"] = got["seconds"]  # for the ratios' CIs; removed before the row is saved
                add(row)
                progress(describe(row))
    finally:
        stop_all(list(apps.values()))
        for name, app in apps.items():
            _drop_scope(backends[name], endpoints, app.config["scope"])
    return where


def _drop_scope(backend, endpoints, scope: str) -> None:
    """The app drops its scope on a clean shutdown; after a kill the runner does (never a server's other data)."""
    if backend.family and backend.family in endpoints:
        try:
            families.get(backend.family).drop_scope(endpoints[backend.family].url, scope)
        except Exception:  # the server went away or the scope is already gone: nothing of ours left there
            pass


def _row(backend, pair, arm, pool, model_ms, load, got, server, where, load_avg) -> dict[str, Any]:
    from parity import stats

    lat = [x for second in got["seconds"] for x in second]
    pct = (lambda q: round(stats.percentile(lat, q), 3) if lat else None)
    return {"pair": list(pair), "role": "incumbent" if backend.name == pair[0] else "candidate",
            "backend": backend.name, "family": backend.family, "arm": arm, "pool": pool, "model_ms": model_ms,
            "rate": load.rate, "duration_s": load.duration_s, "achieved_rps": got["achieved_rps"],
            "answered": got["answered"], "dropped": got["dropped"], "errors": got["errors"],
            "app_errors": server.get("errors") or {},  # what the app raised behind its HTTP 500s
            "error_count": sum(got["errors"].values()), "timeouts": sum(n for k, n in got["errors"].items()
                                                                          if k.startswith("timeout")),
            "p50_ms": pct(50), "p90_ms": pct(90), "p99_ms": pct(99), "max_ms": round(max(lat), 3) if lat else None,
            "server": server, "saver_share": server.get("saver_share"), "layout": where,
            "load_before": load_avg[0], "load_after": load_avg[1]}


def describe(row: dict[str, Any]) -> str:
    share = row.get("saver_share")
    return (f"service {row['backend']} {row['arm']} pool, model {row['model_ms']} ms, {row['rate']:g} req/s offered: "
            f"{row['achieved_rps']:g} achieved, p50 {row['p50_ms']} p99 {row['p99_ms']} ms, "
            f"{row['error_count']} errors, {row['dropped']} dropped, saver "
            f"{'-' if share is None else f'{share * 100:.0f}%'} of server time, load {row['load_before']}")
