"""The Postgres statistics reader (checkpointer, bgwriter, autovacuum of the savers' schemas) and its event names."""

from __future__ import annotations

from typing import Any

# PG >= 17: checkpoints in pg_stat_checkpointer; before: in pg_stat_bgwriter (num_done did not exist).
_CHECKPOINTER = ("SELECT num_timed, num_requested, num_done, buffers_written FROM pg_stat_checkpointer")
_CHECKPOINTER_OLD = ("SELECT checkpoints_timed, checkpoints_req, NULL::bigint, buffers_checkpoint FROM pg_stat_bgwriter")
_REST = """
SELECT (SELECT buffers_clean FROM pg_stat_bgwriter),
       (SELECT coalesce(sum(autovacuum_count), 0)::bigint FROM pg_stat_all_tables WHERE schemaname = ANY(%(s)s)),
       (SELECT coalesce(sum(autoanalyze_count), 0)::bigint FROM pg_stat_all_tables WHERE schemaname = ANY(%(s)s)),
       (SELECT coalesce(sum(autovacuum_count + autoanalyze_count), 0)::bigint FROM pg_stat_all_tables
         WHERE NOT schemaname = ANY(%(s)s)),
       (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'),
       (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'checkpointer'
          AND wait_event IN ('CheckpointWriteDelay', 'DataFileSync', 'DataFileWrite', 'DataFileFlush'))
"""
KEYS = ("pg_checkpoints_timed", "pg_checkpoints_requested", "pg_checkpoints_done", "pg_checkpoint_buffers_written",
        "pg_bgwriter_buffers_clean", "pg_autovacuum", "pg_autoanalyze", "pg_autovacuum_other_tables")
NOTABLE = ("pg_checkpoints_timed", "pg_checkpoints_requested", "pg_checkpoints_done", "pg_checkpoint_buffers_written",
           "pg_checkpoint_running", "pg_autovacuum", "pg_autoanalyze", "pg_autovacuum_other_tables",
           "pg_autovacuum_running", "pg_bgwriter_buffers_clean")
WHAT = ("Postgres pg_stat_checkpointer/pg_stat_bgwriter and pg_stat_all_tables autovacuum/autoanalyze counts "
        "(pg_autovacuum, pg_autoanalyze: the savers' own schemas; pg_autovacuum_other_tables: every other table, "
        "catalogs included; *_running: an autovacuum worker / a checkpointer writing seen at the start or end)")


class PostgresStats:
    def __init__(self, url: str, schemas: list[str]) -> None:
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)
        self.schemas = list(schemas)
        try:
            self.conn.execute(_CHECKPOINTER).fetchone()
            self.checkpointer = _CHECKPOINTER
        except psycopg.Error:
            self.checkpointer = _CHECKPOINTER_OLD

    def read(self) -> dict[str, Any]:
        # autocommit: each statement its own transaction, so no cached stats snapshot carries over between reads.
        cp = self.conn.execute(self.checkpointer).fetchone()
        rest = self.conn.execute(_REST, {"s": self.schemas}).fetchone()
        vals = list(cp) + list(rest[:4])
        return {**dict(zip(KEYS, vals)), "autovacuum_workers": rest[4], "checkpointer_writing": rest[5]}

    @staticmethod
    def delta(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {k: (None if a[k] is None or b[k] is None else int(b[k]) - int(a[k])) for k in KEYS}
        out["pg_autovacuum_running"] = bool(a["autovacuum_workers"] or b["autovacuum_workers"])
        out["pg_checkpoint_running"] = bool(a["checkpointer_writing"] or b["checkpointer_writing"]
                                            or (out["pg_checkpoint_buffers_written"] or 0) > 0)
        return out

    def close(self) -> None:
        self.conn.close()


def describe(ev: dict[str, Any], plural) -> list[str]:
    parts = []
    cps = (ev.get("pg_checkpoints_done") if ev.get("pg_checkpoints_done") is not None else
           (ev.get("pg_checkpoints_timed") or 0) + (ev.get("pg_checkpoints_requested") or 0))
    if cps:
        parts.append(plural(cps, "Postgres checkpoint"))
    if ev.get("pg_checkpoint_buffers_written"):
        parts.append(f"Postgres checkpointer wrote {ev['pg_checkpoint_buffers_written']} buffers")
    elif ev.get("pg_checkpoint_running"):
        parts.append("a Postgres checkpoint in progress")
    av = (ev.get("pg_autovacuum") or 0) + (ev.get("pg_autoanalyze") or 0)
    if av:
        parts.append(f"{plural(av, 'autovacuum/autoanalyze')} of the saver tables")
    if ev.get("pg_autovacuum_other_tables"):
        parts.append(f"{plural(ev['pg_autovacuum_other_tables'], 'autovacuum/autoanalyze')} of other tables")
    if ev.get("pg_autovacuum_running") and not av and not ev.get("pg_autovacuum_other_tables"):
        parts.append("an autovacuum worker running")
    if ev.get("pg_bgwriter_buffers_clean"):
        parts.append(f"bgwriter cleaned {ev['pg_bgwriter_buffers_clean']} buffers")
    return parts
