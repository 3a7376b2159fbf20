"""The served app: a FastAPI app on uvicorn, one process per backend, each request one conversation turn of a workload.

Started by parity.service.runner as `python -m parity.service.app CONFIG.json`; the checkpointer is opened once in
the app's lifespan (async saver, pool at the factory's default or sized by the config), as a production app would.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import sys
import time
from collections import Counter, deque
from pathlib import Path
from typing import Any

from parity.service import turns

# Server-side figures in microseconds: 1 us .. 10 min, 3 significant digits (HdrHistogram's usual precision).
HDR = (1, 600_000_000, 3)
_request: contextvars.ContextVar["Inside | None"] = contextvars.ContextVar("parity_service_request", default=None)
_inside: contextvars.ContextVar[bool] = contextvars.ContextVar("parity_service_inside", default=False)
# The async saver methods a graph calls, as reads or writes: claims C1 (writes) and C2 (reads) each get their time.
TIMED = {"aget_tuple": "read", "aput": "write", "aput_writes": "write", "adelete_thread": "write"}
TIMED_ITERATORS = {"alist": "read"}
KINDS = ("saver", "read", "write")


class Inside:
    """One request's wall time with at least one saver call in flight (overall, reads, writes). LangGraph runs a
    step's writes concurrently and saves checkpoints in the background, so summing call durations would count
    overlapping calls twice and could exceed the request itself; the union of their intervals cannot."""

    def __init__(self) -> None:
        self.ns = dict.fromkeys(KINDS, 0)
        self.active = dict.fromkeys(KINDS, 0)
        self.since = dict.fromkeys(KINDS, 0)
        self.calls = 0

    def enter(self, kind: str) -> None:
        now = time.perf_counter_ns()
        self.calls += 1
        for k in ("saver", kind):
            if self.active[k] == 0:
                self.since[k] = now
            self.active[k] += 1

    def exit(self, kind: str) -> None:
        now = time.perf_counter_ns()
        for k in ("saver", kind):
            self.active[k] -= 1
            if self.active[k] == 0:
                self.ns[k] += now - self.since[k]


def _timed(method, kind: str):
    async def call(*args: Any, **kw: Any) -> Any:
        acc = _request.get()
        if acc is None or _inside.get():  # outside a request, or a saver method calling another: counted once
            return await method(*args, **kw)
        token = _inside.set(True)
        acc.enter(kind)
        try:
            return await method(*args, **kw)
        finally:
            acc.exit(kind)
            _inside.reset(token)
    return call


def _timed_iterator(method, kind: str):
    async def call(*args: Any, **kw: Any):
        acc = None if _inside.get() else _request.get()
        it = method(*args, **kw).__aiter__()
        while True:
            token = _inside.set(True)
            if acc is not None:
                acc.enter(kind)
            try:
                item = await it.__anext__()
            except StopAsyncIteration:
                return
            finally:
                if acc is not None:
                    acc.exit(kind)
                _inside.reset(token)
            yield item
    return call


def instrument(saver: Any) -> Any:
    """Time the saver's async methods per request (instance attributes shadow the class's; the graph calls these)."""
    for name, kind in TIMED.items():
        if hasattr(saver, name):
            setattr(saver, name, _timed(getattr(saver, name), kind))
    for name, kind in TIMED_ITERATORS.items():
        if hasattr(saver, name):
            setattr(saver, name, _timed_iterator(getattr(saver, name), kind))
    return saver


# Where savers keep their connection (psycopg connection or pool; redis client) and what a pool says of its size.
CONNECTION_ATTRS = ("conn", "_redis", "redis_client", "client")
SIZE_ATTRS = ("max_connections", "max_size", "min_size")


def pool_seen(saver: Any) -> dict[str, Any] | None:
    """What the app's saver actually holds (C6 judges pools, so say which one ran): its class and size limits."""
    for attr in CONNECTION_ATTRS:
        held = getattr(saver, attr, None)
        if held is None:
            continue
        pool = getattr(held, "connection_pool", held)
        sizes = {k: getattr(pool, k) for k in SIZE_ATTRS if isinstance(getattr(pool, k, None), int)}
        return {"holds": f"{type(pool).__module__}.{type(pool).__name__}", **sizes}
    return None


class Window:
    """What the app saw since the last reset: turns by kind, errors by kind, server and saver time histograms."""

    def __init__(self) -> None:
        from hdrh.histogram import HdrHistogram

        self.server = HdrHistogram(*HDR)
        self.saver = HdrHistogram(*HDR)
        self.kinds: Counter = Counter()
        self.errors: Counter = Counter()
        self.server_ns = self.saver_ns = self.saver_calls = self.read_ns = self.write_ns = 0

    def add(self, kind: str, server_ns: int, acc: Inside) -> None:
        self.kinds[kind] += 1
        self.server.record_value(max(1, server_ns // 1000))
        self.saver.record_value(max(1, acc.ns["saver"] // 1000))
        self.server_ns += server_ns
        self.saver_ns += acc.ns["saver"]
        self.saver_calls += acc.calls
        self.read_ns += acc.ns["read"]
        self.write_ns += acc.ns["write"]

    def describe(self) -> dict[str, Any]:
        n = self.server.get_total_count()

        def ms(h, q):
            return round(h.get_value_at_percentile(q) / 1000, 3) if n else None
        return {"turns": dict(self.kinds), "errors": dict(self.errors), "n": n,
                "server_p50_ms": ms(self.server, 50), "server_p99_ms": ms(self.server, 99),
                "saver_p50_ms": ms(self.saver, 50), "saver_p99_ms": ms(self.saver, 99),
                "saver_mean_ms": round(self.saver_ns / n / 1e6, 3) if n else None,
                "saver_read_mean_ms": round(self.read_ns / n / 1e6, 3) if n else None,
                "saver_write_mean_ms": round(self.write_ns / n / 1e6, 3) if n else None,
                "server_mean_ms": round(self.server_ns / n / 1e6, 3) if n else None,
                "saver_calls_per_turn": round(self.saver_calls / n, 2) if n else None,
                # the checkpointer's share of the time the server spent on the requests (sums, not a mean of ratios)
                "saver_share": round(self.saver_ns / self.server_ns, 4) if self.server_ns else None}


class Conversations:
    """Threads waiting for their user's next turn: a request resumes the oldest one, or starts a new thread when
    none waits (as users come back to a conversation; never two turns of one thread at once)."""

    def __init__(self, segments: list[list[Any]]) -> None:
        self.segments = segments
        self.waiting: deque[tuple[str, int]] = deque()
        self.started = 0

    def take(self) -> tuple[str, int]:
        if self.waiting:
            return self.waiting.popleft()
        self.started += 1
        return f"c{self.started}", 0

    def done(self, conversation: str, turn: int) -> None:
        if turn + 1 < len(self.segments):
            self.waiting.append((conversation, turn + 1))


def build_app(config: dict[str, Any]):
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    state: dict[str, Any] = {"window": Window(), "in_flight": 0}
    workload = turns.load(config["workload"])
    segments = turns.segments(workload)
    conversations = Conversations(segments)
    model_s = config["model_ms"] / 1000

    @contextlib.asynccontextmanager
    async def lifespan(app):
        async with turns.open_saver(config) as saver:  # once per process, as a production app opens it
            state["graph"] = workload.build(instrument(saver))
            state["pool"] = pool_seen(saver)
            yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/health")
    async def health():
        return {"ok": True, "loop": type(asyncio.get_running_loop()).__module__, "pool": state.get("pool"),
                "in_flight": state["in_flight"]}

    @app.post("/turn")
    async def turn():
        conversation, index = conversations.take()
        acc = Inside()
        token = _request.set(acc)
        t0 = time.perf_counter_ns()
        state["in_flight"] += 1
        try:
            if model_s:
                await asyncio.sleep(model_s)  # the fake model call of this turn (an awaited LLM request)
            await turns.play(state["graph"], conversation, segments[index])
        except Exception as exc:  # the error kinds are what the figures count; the thread is abandoned
            state["window"].errors[f"{type(exc).__name__}: {str(exc)[:100]}"] += 1
            return JSONResponse({"error": type(exc).__name__}, status_code=500)
        finally:
            _request.reset(token)
            state["in_flight"] -= 1
        state["window"].add("new" if index == 0 else "resume", time.perf_counter_ns() - t0, acc)
        conversations.done(conversation, index)
        return {"thread": conversation, "turn": index}

    @app.post("/window")
    async def window():
        """The figures since the last call, and a fresh window."""
        done, state["window"] = state["window"], Window()
        return done.describe()

    return app


def main(path: str) -> None:
    import uvicorn

    config = json.loads(Path(path).read_text())
    uvicorn.run(build_app(config), host="127.0.0.1", port=config["port"], log_level="warning", access_log=False,
                lifespan="on", timeout_graceful_shutdown=5)


if __name__ == "__main__":
    main(sys.argv[1])
