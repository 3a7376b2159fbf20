"""Server-side events during a measurement window, from the servers' own statistics.

Why a timing moved between two windows is often on the server: a Redis BGSAVE fork (default `save` policy),
an AOF rewrite, a Postgres checkpoint writing buffers, an autovacuum worker. `Events` reads each family's
counters before and after a window (outside the timed calls) and gives the deltas as a flat dict that goes on
the measurement rows as `server_events`. Nothing here changes a server setting: it only reads statistics.
"""

from __future__ import annotations

import time
from typing import Any

from parity import families

_REDIS_COUNTERS = {"total_forks": "redis_forks", "rdb_saves": "redis_rdb_saves", "aof_rewrites": "redis_aof_rewrites",
                   "expired_keys": "redis_expired_keys", "evicted_keys": "redis_evicted_keys"}

# PG >= 17: checkpoints in pg_stat_checkpointer; before: in pg_stat_bgwriter (num_done did not exist).
_PG_CHECKPOINTER = ("SELECT num_timed, num_requested, num_done, buffers_written FROM pg_stat_checkpointer")
_PG_CHECKPOINTER_OLD = ("SELECT checkpoints_timed, checkpoints_req, NULL::bigint, buffers_checkpoint FROM pg_stat_bgwriter")
_PG_REST = """
SELECT (SELECT buffers_clean FROM pg_stat_bgwriter),
       (SELECT coalesce(sum(autovacuum_count), 0)::bigint FROM pg_stat_all_tables WHERE schemaname = ANY(%(s)s)),
       (SELECT coalesce(sum(autoanalyze_count), 0)::bigint FROM pg_stat_all_tables WHERE schemaname = ANY(%(s)s)),
       (SELECT coalesce(sum(autovacuum_count + autoanalyze_count), 0)::bigint FROM pg_stat_all_tables
         WHERE NOT schemaname = ANY(%(s)s)),
       (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'),
       (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'checkpointer'
          AND wait_event IN ('CheckpointWriteDelay', 'DataFileSync', 'DataFileWrite', 'DataFileFlush'))
"""
_PG_KEYS = ("pg_checkpoints_timed", "pg_checkpoints_requested", "pg_checkpoints_done", "pg_checkpoint_buffers_written",
            "pg_bgwriter_buffers_clean", "pg_autovacuum", "pg_autoanalyze", "pg_autovacuum_other_tables")

WHAT = ("server_events: deltas of the servers' own statistics over the timed window of one op (read before and "
        "after it, outside the timed calls): Redis INFO stats/persistence (total_forks, rdb_saves, aof_rewrites, "
        "expired/evicted keys; *_running = a BGSAVE/AOF rewrite in progress at the start or end), Postgres "
        "pg_stat_checkpointer/pg_stat_bgwriter and pg_stat_all_tables autovacuum/autoanalyze counts (pg_autovacuum, "
        "pg_autoanalyze: the savers' own schemas; pg_autovacuum_other_tables: every other table, catalogs included; "
        "*_running: an autovacuum worker / a checkpointer writing seen at the start or end)")


class _RedisStats:
    family = "redis"

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, decode_responses=True)

    def read(self) -> dict[str, Any]:
        info = {**self.client.info("persistence"), **self.client.info("stats")}
        return info

    @staticmethod
    def delta(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, name in _REDIS_COUNTERS.items():
            if key in a and key in b:
                out[name] = int(b[key]) - int(a[key])
        # rdb_saves counts every save (Redis >= 7); rdb_last_save_time has 1 s resolution and the dirty counter may
        # be 0 on both sides, so they only back it up on servers without the counter.
        out["redis_rdb_saved"] = (out.get("redis_rdb_saves", 0) > 0
                                  or b.get("rdb_last_save_time") != a.get("rdb_last_save_time")
                                  or int(b.get("rdb_changes_since_last_save", 0)) < int(a.get("rdb_changes_since_last_save", 0)))
        out["redis_bgsave_running"] = bool(int(a.get("rdb_bgsave_in_progress", 0)) or int(b.get("rdb_bgsave_in_progress", 0)))
        out["redis_aof_rewrite_running"] = bool(int(a.get("aof_rewrite_in_progress", 0))
                                                or int(b.get("aof_rewrite_in_progress", 0)))
        if out.get("redis_forks") or out["redis_rdb_saved"] or out["redis_bgsave_running"]:
            out["redis_last_bgsave_status"] = b.get("rdb_last_bgsave_status")
            if b.get("latest_fork_usec") is not None:
                out["redis_latest_fork_ms"] = round(int(b["latest_fork_usec"]) / 1000, 3)
        return out

    def close(self) -> None:
        self.client.close()


class _PostgresStats:
    family = "postgres"

    def __init__(self, url: str, schemas: list[str]) -> None:
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)
        self.schemas = list(schemas)
        try:
            self.conn.execute(_PG_CHECKPOINTER).fetchone()
            self.checkpointer = _PG_CHECKPOINTER
        except psycopg.Error:
            self.checkpointer = _PG_CHECKPOINTER_OLD

    def read(self) -> dict[str, Any]:
        # autocommit: each statement its own transaction, so no cached stats snapshot carries over between reads.
        cp = self.conn.execute(self.checkpointer).fetchone()
        rest = self.conn.execute(_PG_REST, {"s": self.schemas}).fetchone()
        vals = list(cp) + list(rest[:4])
        return {**dict(zip(_PG_KEYS, vals)), "autovacuum_workers": rest[4], "checkpointer_writing": rest[5]}

    @staticmethod
    def delta(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {k: (None if a[k] is None or b[k] is None else int(b[k]) - int(a[k])) for k in _PG_KEYS}
        out["pg_autovacuum_running"] = bool(a["autovacuum_workers"] or b["autovacuum_workers"])
        out["pg_checkpoint_running"] = bool(a["checkpointer_writing"] or b["checkpointer_writing"]
                                            or (out["pg_checkpoint_buffers_written"] or 0) > 0)
        return out

    def close(self) -> None:
        self.conn.close()


class Events:
    """Probes for every server endpoint of a measurement; `mark()` before a window, `since(mark)` after it."""

    def __init__(self, endpoints: dict[str, Any], schemas: list[str] | None = None) -> None:
        self.endpoints, self.schemas = endpoints, list(schemas or [])
        self.readers: dict[str, Any] = {}
        self.unavailable: dict[str, str] = {}

    def open(self) -> "Events":
        for family, ep in sorted(self.endpoints.items()):
            if ep is None:
                continue
            try:
                self.readers[family] = families.get(family).stats_reader(ep.url, self.schemas)
            except Exception as exc:  # statistics are context; a server refusing them must not fail the measurement
                self.unavailable[family] = f"{type(exc).__name__}: {str(exc)[:120]}"
        return self

    def close(self) -> None:
        for p in self.readers.values():
            try:
                p.close()
            except Exception:
                pass
        self.readers = {}

    def __enter__(self) -> "Events":
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    def mark(self) -> dict[str, Any]:
        snap: dict[str, Any] = {"_t": time.monotonic()}
        for family, p in self.readers.items():
            try:
                snap[family] = p.read()
            except Exception as exc:
                snap[family] = exc
        return snap

    def since(self, mark: dict[str, Any]) -> dict[str, Any]:
        """Deltas since `mark`, every family merged into one flat dict (keys prefixed redis_ / pg_)."""
        now = self.mark()
        out: dict[str, Any] = {"window_s": round(now["_t"] - mark["_t"], 3)}
        for family, p in self.readers.items():
            a, b = mark.get(family), now.get(family)
            if isinstance(a, dict) and isinstance(b, dict):
                try:
                    out.update(p.delta(a, b))
                    continue
                except Exception as exc:
                    err = exc
            else:
                err = a if isinstance(a, Exception) else b
            out[f"{_prefix(family)}unavailable"] = f"{type(err).__name__}: {str(err)[:120]}"
        for family, why in self.unavailable.items():
            out[f"{_prefix(family)}unavailable"] = why
        return out


def _prefix(family: str) -> str:
    return families.get(family).events_prefix


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def describe(ev: dict[str, Any] | None) -> str:
    """The notable events of one window in words ("1 Redis fork (BGSAVE), 1 autovacuum"), "none" if quiet."""
    if not ev:
        return "not recorded"
    parts = []
    forks = ev.get("redis_forks") or 0
    if forks:
        kind = "BGSAVE" if (ev.get("redis_rdb_saves") or ev.get("redis_rdb_saved")) else \
            "AOF rewrite" if ev.get("redis_aof_rewrites") else "fork"
        parts.append(f"{_plural(forks, 'Redis fork')} ({kind}"
                     + (f", fork took {ev['redis_latest_fork_ms']:g} ms" if ev.get("redis_latest_fork_ms") is not None else "")
                     + ")")
    elif ev.get("redis_rdb_saved"):
        parts.append("a Redis RDB save")
    if ev.get("redis_bgsave_running") and not forks:
        parts.append("a Redis BGSAVE child running (forked before the window)")
    if ev.get("redis_aof_rewrites") and not forks:
        parts.append(_plural(ev["redis_aof_rewrites"], "Redis AOF rewrite"))
    if ev.get("redis_aof_rewrite_running") and not ev.get("redis_aof_rewrites"):
        parts.append("a Redis AOF rewrite running")
    if ev.get("redis_evicted_keys"):
        parts.append(_plural(ev["redis_evicted_keys"], "Redis eviction"))
    cps = (ev.get("pg_checkpoints_done") if ev.get("pg_checkpoints_done") is not None else
           (ev.get("pg_checkpoints_timed") or 0) + (ev.get("pg_checkpoints_requested") or 0))
    if cps:
        parts.append(_plural(cps, "Postgres checkpoint"))
    if ev.get("pg_checkpoint_buffers_written"):
        parts.append(f"Postgres checkpointer wrote {ev['pg_checkpoint_buffers_written']} buffers")
    elif ev.get("pg_checkpoint_running"):
        parts.append("a Postgres checkpoint in progress")
    av = (ev.get("pg_autovacuum") or 0) + (ev.get("pg_autoanalyze") or 0)
    if av:
        parts.append(f"{_plural(av, 'autovacuum/autoanalyze')} of the saver tables")
    if ev.get("pg_autovacuum_other_tables"):
        parts.append(f"{_plural(ev['pg_autovacuum_other_tables'], 'autovacuum/autoanalyze')} of other tables")
    if ev.get("pg_autovacuum_running") and not av and not ev.get("pg_autovacuum_other_tables"):
        parts.append("an autovacuum worker running")
    if ev.get("pg_bgwriter_buffers_clean"):
        parts.append(f"bgwriter cleaned {ev['pg_bgwriter_buffers_clean']} buffers")
    gone = [k.removesuffix("_unavailable") for k in ev if k.endswith("_unavailable")]
    text = ", ".join(parts) if parts else "no server events"
    return text + (f" (statistics unavailable: {', '.join(gone)})" if gone else "")


NOTABLE = ("redis_forks", "redis_rdb_saves", "redis_rdb_saved", "redis_aof_rewrites", "redis_bgsave_running",
           "redis_aof_rewrite_running", "redis_evicted_keys", "pg_checkpoints_timed", "pg_checkpoints_requested",
           "pg_checkpoints_done", "pg_checkpoint_buffers_written", "pg_checkpoint_running", "pg_autovacuum",
           "pg_autoanalyze", "pg_autovacuum_other_tables", "pg_autovacuum_running", "pg_bgwriter_buffers_clean")


def notable(ev: dict[str, Any] | None) -> dict[str, Any]:
    """The event fields that can explain a latency shift, zero/false ones dropped (window length, expiries out)."""
    return {k: v for k, v in (ev or {}).items() if k in NOTABLE and v}
