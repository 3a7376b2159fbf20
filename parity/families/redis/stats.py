"""The statistics reader of a Redis-protocol server (INFO persistence + stats) and its event names, prefixed per
family ("redis_forks"; another RESP server's family reuses it under its own prefix)."""

from __future__ import annotations

from typing import Any

# INFO field -> event name (after the family's prefix)
COUNTERS = {"total_forks": "forks", "rdb_saves": "rdb_saves", "aof_rewrites": "aof_rewrites",
            "expired_keys": "expired_keys", "evicted_keys": "evicted_keys"}
NOTABLE = ("forks", "rdb_saves", "rdb_saved", "aof_rewrites", "bgsave_running", "aof_rewrite_running", "evicted_keys")
WHAT = ("{title} INFO stats/persistence (total_forks, rdb_saves, aof_rewrites, expired/evicted keys; *_running = a "
        "BGSAVE/AOF rewrite in progress at the start or end)")


class RespStats:
    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, decode_responses=True)
        self.prefix = prefix

    def read(self) -> dict[str, Any]:
        return {**self.client.info("persistence"), **self.client.info("stats")}

    def delta(self, a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        return delta(a, b, self.prefix)

    def close(self) -> None:
        self.client.close()


def delta(a: dict[str, Any], b: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The events between two INFO snapshots, named with the family's prefix."""
    out: dict[str, Any] = {}
    for key, name in COUNTERS.items():
        if key in a and key in b:
            out[name] = int(b[key]) - int(a[key])
    # rdb_saves counts every save (Redis >= 7); rdb_last_save_time has 1 s resolution and the dirty counter may
    # be 0 on both sides, so they only back it up on servers without the counter.
    out["rdb_saved"] = (out.get("rdb_saves", 0) > 0
                        or b.get("rdb_last_save_time") != a.get("rdb_last_save_time")
                        or int(b.get("rdb_changes_since_last_save", 0)) < int(a.get("rdb_changes_since_last_save", 0)))
    out["bgsave_running"] = bool(int(a.get("rdb_bgsave_in_progress", 0)) or int(b.get("rdb_bgsave_in_progress", 0)))
    out["aof_rewrite_running"] = bool(int(a.get("aof_rewrite_in_progress", 0))
                                      or int(b.get("aof_rewrite_in_progress", 0)))
    if out.get("forks") or out["rdb_saved"] or out["bgsave_running"]:
        out["last_bgsave_status"] = b.get("rdb_last_bgsave_status")
        if b.get("latest_fork_usec") is not None:
            out["latest_fork_ms"] = round(int(b["latest_fork_usec"]) / 1000, 3)
    return {prefix + k: v for k, v in out.items()}


def describe(ev: dict[str, Any], prefix: str, title: str, plural) -> list[str]:
    """The notable events of one window under `prefix`, in words ("1 Redis fork (BGSAVE)")."""
    def get(name: str) -> Any:
        return ev.get(prefix + name)

    parts = []
    forks = get("forks") or 0
    if forks:
        kind = "BGSAVE" if (get("rdb_saves") or get("rdb_saved")) else "AOF rewrite" if get("aof_rewrites") else "fork"
        took = f", fork took {get('latest_fork_ms'):g} ms" if get("latest_fork_ms") is not None else ""
        parts.append(f"{plural(forks, title + ' fork')} ({kind}{took})")
    elif get("rdb_saved"):
        parts.append(f"a {title} RDB save")
    if get("bgsave_running") and not forks:
        parts.append(f"a {title} BGSAVE child running (forked before the window)")
    if get("aof_rewrites") and not forks:
        parts.append(plural(get("aof_rewrites"), f"{title} AOF rewrite"))
    if get("aof_rewrite_running") and not get("aof_rewrites"):
        parts.append(f"a {title} AOF rewrite running")
    if get("evicted_keys"):
        parts.append(plural(get("evicted_keys"), f"{title} eviction"))
    return parts
