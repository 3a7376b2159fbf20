"""The report's demo of issue 19: a workload's traffic through ShadowSaver (Postgres -> Redis), then a replay of
the threads it left in Postgres; both sections go into the run's results.json."""

from __future__ import annotations

import contextlib
import tempfile
import time
from pathlib import Path
from typing import Any

DEMO_THREADS = 6  # app conversations driven through the shadow: enough for real counts, ~5-10 s with the replay
DEMO_READ_FRACTION = 1.0  # a demo compares every read; an app would start at ShadowSaver's default 0.01


def drive(workload, shadow, primary_backend, scope: str, threads: int) -> None:
    """Play the workload's script on `threads` conversations, sync API, one after the other, as an app would."""
    from parity.backends.backend import SaverContext
    from parity.judging.driver import Driver
    from parity.judging.trace import Trace
    from parity.measuring.runner import run_sync
    from parity.workloads.runner import play

    for k in range(threads):
        ctx = SaverContext(None, f"{scope}_{k}")  # only names the conversation's thread ids
        run_sync(play(workload, Driver(primary_backend, "sync", ctx, shadow, Trace())))


def replay_primary(url: str, schema: str, target_backend, target_endpoint, scope: str) -> dict[str, Any]:
    """`parity replay --from URL --from-schema SCHEMA` on the primary's threads, into the candidate's family."""
    from parity.backends.backend import SaverContext
    from parity.replay.replayer import TargetRun, replay_thread
    from parity.replay.section import section
    from parity.replay.sources import open_source

    with open_source(url, schema) as source:
        available = source.threads(None)
        run = TargetRun(target_backend.name, target_backend.capabilities)
        with target_backend.saver("sync", SaverContext(target_endpoint, scope)) as target:
            for tid in available:
                replay_thread(source.reader, target, run, tid)
        return section(source.describe(), {"available": len(available), "selected": len(available), "since": None,
                                           "sample_seed": None}, [run])


def run_demo(registry, pg_endpoint, rd_endpoint, scope: str, workload, out_dir: Path | None, pair=None,
             threads: int = DEMO_THREADS) -> tuple[dict[str, Any], dict[str, Any], dict[str, float]]:
    """Shadow recording, summary, replay; returns the shadow section, the replay section and the seconds of each.
    Primary and candidate: the pair's (parity.roles; default the guide's, Postgres -> Redis)."""
    from parity import roles
    from parity.backends.backend import SaverContext
    from parity.shadow import ShadowSaver
    from parity.shadow.summary import read_lines, section

    pair = pair or roles.DEFAULT[0]
    pg, rd = registry.get(pair.incumbent), registry.get(pair.candidate)
    took: dict[str, float] = {}
    with contextlib.ExitStack() as stack:
        lines = out_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="parity-shadow-")))
        primary_ctx = SaverContext(pg_endpoint, f"{scope}_primary")
        primary = stack.enter_context(pg.saver("sync", primary_ctx))  # its schema is dropped on the way out
        candidate = stack.enter_context(rd.saver("sync", SaverContext(rd_endpoint, f"{scope}_candidate")))
        t0 = time.perf_counter()
        with ShadowSaver(primary, candidate, out_dir=lines, read_fraction=DEMO_READ_FRACTION, seed=19) as shadow:
            drive(workload, shadow, pg, scope, threads)
        took["shadow_s"] = time.perf_counter() - t0
        shadow_section = section(read_lines(lines))
        t0 = time.perf_counter()
        replay = replay_primary(pg_endpoint.url, primary_ctx.scope, rd, rd_endpoint, f"{scope}_replay")
        took["replay_s"] = time.perf_counter() - t0
    return shadow_section, replay, took

