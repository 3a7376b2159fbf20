"""TTL (C8): checkpoints and writes expire together, no half-expired read, refresh-on-read; a saver without TTL
(the guide's Postgres) needs delete_thread."""

from __future__ import annotations

import time
import uuid
from typing import Any

from parity import families
from parity.injecting import common

TTL_MINUTES = 0.05  # the saver takes minutes and applies int(minutes * 60) seconds: 0.05 -> 3 s
TTL_S = int(TTL_MINUTES * 60)


def _write(saver, n: int) -> dict[str, int]:
    """n paused threads; returns thread -> pending writes on its latest checkpoint."""
    app = common.builder().compile(checkpointer=saver)
    out = {}
    for i in range(n):
        tid = f"ttl-{i}"
        app.invoke(common.start_input(i), common.config(tid))
        out[tid] = len(saver.get_tuple(common.config(tid)).pending_writes or [])
    return out


def expiry(server, backend, n: int = 3, deadline_s: float = TTL_S + 5) -> dict[str, Any]:
    """Write, then read every 100 ms until everything is gone: whole, gone, or half-expired per read."""
    family = families.get(server.family)  # its keys and their TTLs: Lever.KEY_TTL
    scope = f"ttl_{uuid.uuid4().hex[:8]}"
    with common.open_saver(backend, server.endpoint(), scope, {"ttl": {"default_ttl": TTL_MINUTES}}) as saver:
        t0 = time.monotonic()
        writes = _write(saver, n)
        ttls = family.scope_ttls(server.url, scope)
        keys = list(ttls)
        no_ttl = [k for k, seconds in ttls.items() if seconds == -1]
        reads = {"whole": 0, "gone": 0, "half": 0}
        gone_at = None
        while time.monotonic() - t0 < deadline_s:
            states = [_classify(saver.get_tuple(common.config(t)), w) for t, w in writes.items()]
            for s in states:
                reads[s] += 1
            if all(s == "gone" for s in states):
                gone_at = time.monotonic() - t0
                break
            time.sleep(0.1)
        time.sleep(1.5)  # keys written a moment later expire a moment later
        left = list(family.scope_ttls(server.url, scope))
    return {"backend": backend.name, "case": f"ttl expiry (default_ttl={TTL_MINUTES} min = {TTL_S} s)",
            "observed": f"{len(keys)} keys written, {len(no_ttl)} without TTL; all threads gone after "
                        f"{round(gone_at, 2) if gone_at else 'never'} s; reads whole/gone/half: "
                        f"{reads['whole']}/{reads['gone']}/{reads['half']}; {len(left)} keys left after expiry",
            "keys_written": len(keys), "keys_without_ttl": no_ttl[:20], "seconds_until_gone": gone_at,
            "reads": reads, "keys_left": left[:20], "writes_per_thread": list(writes.values())}


def _classify(tup, expected_writes: int) -> str:
    if tup is None:
        return "gone"
    return "whole" if len(tup.pending_writes or []) == expected_writes else "half"


def refresh_on_read(server, backend, refresh: bool, read_for_s: float = 2 * TTL_S) -> dict[str, Any]:
    """Read the thread every 0.5 s for twice the TTL: alive at the end iff refresh_on_read keeps it alive."""
    scope = f"ttl_{uuid.uuid4().hex[:8]}"
    opts = {"ttl": {"default_ttl": TTL_MINUTES, "refresh_on_read": refresh}}
    with common.open_saver(backend, server.endpoint(), scope, opts) as saver:
        writes = _write(saver, 1)
        t0, last, seen = time.monotonic(), "whole", {"whole": 0, "gone": 0, "half": 0}
        while time.monotonic() - t0 < read_for_s and last != "gone":
            last = _classify(saver.get_tuple(common.config("ttl-0")), writes["ttl-0"])
            seen[last] += 1
            time.sleep(0.5)
        alive_after_reads = last == "whole"
        time.sleep(TTL_S + 1.5)  # no reads now: it must expire either way
        after_idle = _classify(saver.get_tuple(common.config("ttl-0")), writes["ttl-0"])
    return {"backend": backend.name, "case": f"ttl refresh_on_read={refresh}",
            "observed": f"read every 0.5 s for {read_for_s:.0f} s: {'still there' if alive_after_reads else last} "
                        f"(reads whole/gone/half: {seen['whole']}/{seen['gone']}/{seen['half']}); "
                        f"after {TTL_S + 1.5:.1f} s without reads: {after_idle}",
            "refresh_on_read": refresh, "alive_after_reads": alive_after_reads, "after_idle": after_idle,
            "reads": seen, "as_documented": alive_after_reads == refresh and after_idle == "gone" and not seen["half"]}


def cleanup_without_ttl(server, backend) -> dict[str, Any]:
    """A saver without TTL (the guide's Postgres): what stays, and what delete_thread removes (the cleanup a user must
    schedule)."""
    scope = f"ttl_{uuid.uuid4().hex[:8]}"
    with common.open_saver(backend, server.endpoint(), scope) as saver:
        _write(saver, 2)
        saver.delete_thread("ttl-0")
        left = {t: len(list(saver.list(common.config(t)))) for t in ("ttl-0", "ttl-1")}
    families.get(backend.family).drop_scope(server.url, scope)
    return {"backend": backend.name, "case": "ttl (capability)",
            "observed": "no TTL: checkpoints stay until deleted; cleanup needs saver.delete_thread(thread_id) for "
                        "each expired thread, or a scheduled job deleting the threads whose newest checkpoint is "
                        "older than the retention (on Postgres: from checkpoints, checkpoint_writes and "
                        "checkpoint_blobs)",
            "checkpoints_after_delete_thread": left}


def refresh_on_read_trials(server, backend, refresh: bool, trials: int = 3) -> dict[str, Any]:
    """refresh_on_read() in `trials` concurrent scopes: a race shows up as a rate, not as a coin flip."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(trials) as pool:
        runs = list(pool.map(lambda _: refresh_on_read(server, backend, refresh), range(trials)))
    half = sum(1 for r in runs if r["reads"]["half"])
    alive = sum(1 for r in runs if r["alive_after_reads"])
    expired = sum(1 for r in runs if r["after_idle"] == "gone")
    return {"backend": backend.name, "case": f"ttl refresh_on_read={refresh} ({trials} concurrent trials)",
            "observed": f"kept alive by reads in {alive}/{trials}; half-expired reads (checkpoint without its "
                        f"pending writes) in {half}/{trials}; expired when idle in {expired}/{trials}",
            "refresh_on_read": refresh, "trials": trials, "trials_alive": alive, "trials_half": half,
            "trials_expired_idle": expired, "runs": [r["observed"] for r in runs],
            "as_documented": alive == (trials if refresh else 0) and half == 0 and expired == trials}
