"""Outages: what a graph sees when its server stops mid-run or the network stalls, and whether things recover."""

from __future__ import annotations

import asyncio
import dataclasses
import operator
import threading
import time
import uuid
from typing import Annotated, Any, TypedDict

from parity import families
from parity.backends.backend import SaverContext
from parity.injecting import common

HANG_WAIT_S = 12.0  # how long we wait before calling a call "hanging": above redis-py 8's default 5 s timeout + retries
RECOVERY_WAIT_S = 20.0  # how long we retry a saver after its server is back before calling it unrecovered
CLIENT_TIMEOUT_S = 2.0  # the timeout we then configure, to measure a bounded time-to-fail
EXPECTED = {"log": ["a", "b", "c"]}


# Per server family (the driver of the savers of that family): Family.client_timeouts.
CLIENT_TIMEOUTS = {name: families.get(name).client_timeouts(CLIENT_TIMEOUT_S) for name in families.names()}
STALL_FACTOR = 4  # a stalled call must fail within this many client timeouts: the client may retry once or twice


class Log(TypedDict):
    log: Annotated[list, operator.add]


def stop_mid_run_builder(hook):
    """a -> b -> c; node b calls hook() once (the fault) before returning."""
    from langgraph.graph import END, START, StateGraph

    fired = []

    def node(name):
        def run(state: Log) -> dict:
            if name == "b" and not fired:
                fired.append(True)
                hook()
            return {"log": [name]}
        return run

    g = StateGraph(Log)
    for name in "abc":
        g.add_node(name, node(name))
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_edge("b", "c")
    g.add_edge("c", END)
    return g


def thread_health(saver, thread_id: str) -> dict[str, Any]:
    """Is a thread whole: every listed checkpoint's parent present, and does it run to the expected end?"""
    tuples = list(saver.list(common.config(thread_id)))
    ids = {t.config["configurable"]["checkpoint_id"] for t in tuples}
    dangling = sum(1 for t in tuples if t.parent_config and t.parent_config["configurable"]["checkpoint_id"] not in ids)
    app = stop_mid_run_builder(lambda: None).compile(checkpointer=saver)
    try:
        out = app.invoke(None if tuples else {"log": []}, common.config(thread_id))
        resumed = out == EXPECTED
    except Exception as exc:  # reported, not raised: a broken thread is the observation
        resumed = common.error_text(exc)
    return {"checkpoints": len(tuples), "dangling_parents": dangling, "resumed_to_expected_end": resumed}


def server_stopped_mid_run(server, backend, opener=None, label: str = "") -> dict[str, Any]:
    """SIGTERM the server inside a node; time to the graph's error; restart; same saver and thread afterwards.

    opener(scope) -> context manager of a sync saver; default: the backend's own factory.
    """
    scope = f"out_{uuid.uuid4().hex[:8]}"
    tid = "stopped-mid-run"
    stopping_at: list[float] = []
    stopped = threading.Event()
    opener = opener or (lambda sc: common.open_saver(backend, server.endpoint(), sc))

    def fault():
        stopping_at.append(time.monotonic())  # the graph may fail before the stop completes
        server.stop()
        stopped.set()

    with common.closing_quietly(opener(scope)) as saver:
        app = stop_mid_run_builder(fault).compile(checkpointer=saver)
        error, seconds = None, None
        try:
            app.invoke({"log": []}, common.config(tid))
        except Exception as exc:  # the error the graph surfaces is the observation
            error, seconds = exc, time.monotonic() - stopping_at[0]
        stopped.wait(30)  # the node's thread may still be inside stop(): never start a second server on the data
        server.start()
        families.get(server.family).after_restart(server.url)
        recovered, recover_s = _recovery(saver)
    with common.open_saver(backend, server.endpoint(), scope) as fresh:
        health = thread_health(fresh, tid)
    return {"backend": backend.name + (f" ({label})" if label else ""),
            "case": "server stopped mid-run (SIGTERM in node b, then restart)",
            "observed": (common.error_text(error) if error else "no error: the run completed")
                        + (f"; same saver works again {recover_s} s after restart" if recovered is True
                           else f"; same saver after restart: {recovered}"),
            "error_type": type(error).__name__ if error else None,
            "seconds_to_fail": round(seconds, 3) if seconds is not None else None,
            "same_saver_recovers": recovered, "seconds_to_recover": recover_s, "thread_after_restart": health,
            "lever": f"{common.lever(server, 'stop')}, then {common.lever(server, 'start')}",
            "half_written": health["dangling_parents"] > 0 or health["resumed_to_expected_end"] is not True}


def _recovery(saver, limit_s: float = RECOVERY_WAIT_S) -> tuple[Any, float | None]:
    """Retry a new run on the same saver until it works (True, seconds) or limit_s passes (last error, None)."""
    t0 = time.monotonic()
    app = stop_mid_run_builder(lambda: None).compile(checkpointer=saver)
    attempt = 0
    while True:
        attempt += 1
        try:
            if app.invoke({"log": []}, common.config(f"after-{attempt}")) == EXPECTED:
                return True, round(time.monotonic() - t0, 3)
            last = "wrong result"
        except Exception as exc:  # retried until the limit: recovery time is the measurement
            last = common.error_text(exc)
            if "connection is closed" in last:
                return last + " (a single connection never reconnects)", None
        if time.monotonic() - t0 > limit_s:
            return f"{last} (still failing after {limit_s:.0f} s)", None
        time.sleep(0.5)


def _invoke_in_thread(app, inp, cfg) -> dict[str, Any]:
    box: dict[str, Any] = {"done": threading.Event(), "t0": time.monotonic()}

    def run():
        try:
            box["result"] = app.invoke(inp, cfg)
        except BaseException as exc:  # handed back to the caller as data
            box["error"] = exc
        box["t1"] = time.monotonic()
        box["done"].set()

    threading.Thread(target=run, daemon=True).start()
    return box


def _stall_levers(server, proxy):
    """(stall, resume): docker pause/unpause where the server is a container (the server freezes with its
    sockets open, as on a dead link), else the proxy's blackhole. The proxy stays in the path either way."""
    if hasattr(server, "pause"):
        return server.pause, server.unpause
    return (lambda: proxy.blackhole(True)), (lambda: proxy.blackhole(False))


def _proxied(server, proxy, extra_query: str = ""):
    host_url = server.url.replace(f":{server.port}", f":{proxy.port}")
    if extra_query:
        host_url += ("&" if "?" in host_url else "?") + extra_query
    return dataclasses.replace(server.endpoint(), url=host_url)


def stalled_network(server, backend, proxy_cls, timeout_query: str | None) -> dict[str, Any]:
    """Blackhole the link mid-run: does the default client hang, and what does a configured timeout give?"""
    scope = f"out_{uuid.uuid4().hex[:8]}"
    row: dict[str, Any] = {"backend": backend.name, "case": f"stalled network ({common.lever(server, 'stall')})",
                           "lever": common.lever(server, "stall")}
    for label, query in (("default client", ""), ("with timeout", timeout_query)):
        if query is None:
            continue
        with proxy_cls("127.0.0.1", server.port).start() as proxy:  # embedded servers listen on loopback
            row[label] = _stall_once(server, backend, proxy, query, scope, label)
    row["observed"] = _summary(row)
    return row


def _stall_once(server, backend, proxy, query, scope, label) -> dict[str, Any]:
    tid = f"stall-{label.replace(' ', '-')}"
    with common.closing_quietly(common.open_saver(backend, _proxied(server, proxy, query), scope)) as saver:
        stall, resume = _stall_levers(server, proxy)
        app = stop_mid_run_builder(stall).compile(checkpointer=saver)
        box = _invoke_in_thread(app, {"log": []}, common.config(tid))
        waited = CLIENT_TIMEOUT_S * STALL_FACTOR if query else HANG_WAIT_S
        finished = box["done"].wait(waited)
        out: dict[str, Any] = {"settings": query or "library defaults"}
        if not finished:
            out["outcome"] = f"hangs without a client timeout (no answer after {waited:.0f} s)"
        resume()
        box["done"].wait(30)
        out["error"] = common.error_text(box["error"]) if "error" in box else None
        if finished:
            out["outcome"] = "error" if "error" in box else "completed"
            out["seconds_to_fail"] = round(box["t1"] - box["t0"], 3)
        else:
            out["after_network_returns"] = "error" if "error" in box else "completed once the stall ended"
        try:
            again = stop_mid_run_builder(lambda: None).compile(checkpointer=saver).invoke({"log": []}, common.config(tid + "-2"))
            out["same_saver_recovers"] = again == EXPECTED
        except Exception as exc:
            out["same_saver_recovers"] = common.error_text(exc)
    with common.open_saver(backend, server.endpoint(), scope) as fresh:
        out["thread_after"] = thread_health(fresh, tid)
    out["half_written"] = out["thread_after"]["dangling_parents"] > 0 or out["thread_after"]["resumed_to_expected_end"] is not True
    return out


def _summary(row: dict[str, Any]) -> str:
    parts = []
    for label in ("default client", "with timeout"):
        if label in row:
            r = row[label]
            t = f" after {r['seconds_to_fail']} s" if r.get("seconds_to_fail") is not None else ""
            parts.append(f"{label}: {r['outcome']}{t}" + (f" ({r['error'][:120]})" if r.get("error") else "")
                         + (f", thread left unresumable: {r['thread_after']['resumed_to_expected_end']}"
                            if r.get("half_written") else ""))
    return "; ".join(parts)


async def stalled_network_async_timeout(server, backend, proxy_cls, timeout_s: float = CLIENT_TIMEOUT_S) -> dict[str, Any]:
    """The async saver under asyncio.timeout(): the only bound psycopg offers against a stalled read."""
    scope = f"out_{uuid.uuid4().hex[:8]}"
    with proxy_cls("127.0.0.1", server.port).start() as proxy:
        ctx = SaverContext(_proxied(server, proxy), scope, keep=True)
        async with backend.saver("async", ctx) as saver:
            stall, resume = _stall_levers(server, proxy)
            app = stop_mid_run_builder(stall).compile(checkpointer=saver)
            t0 = time.monotonic()
            try:
                async with asyncio.timeout(timeout_s):
                    await app.ainvoke({"log": []}, common.config("stall-async"))
                outcome, err = "completed", None
            except Exception as exc:  # TimeoutError or whatever the client raises (Ctrl-C must still stop the run)
                outcome, err = "error", common.error_text(exc)
            seconds = round(time.monotonic() - t0, 3)
            resume()
            try:
                again = await stop_mid_run_builder(lambda: None).compile(checkpointer=saver).ainvoke(
                    {"log": []}, common.config("stall-async-2"))
                recovers = again == EXPECTED
            except Exception as exc:
                recovers = common.error_text(exc)
    with common.open_saver(backend, server.endpoint(), scope) as fresh:
        health = thread_health(fresh, "stall-async")
    return {"backend": backend.name, "case": f"stalled network, async saver under asyncio.timeout({timeout_s})",
            "observed": f"{outcome} after {seconds} s" + (f" ({err})" if err else ""), "seconds_to_fail": seconds,
            "lever": common.lever(server, "stall"),
            "same_saver_recovers": recovers, "thread_after": health}
