"""Server events per measurement window: real counter deltas from embedded servers, and how repeatability uses them."""

from __future__ import annotations

import time

import pytest

from parity.measuring import claims, server_events
from parity.families.redis import stats as redis_stats
from parity.measuring.latency import Conditions, record_op
from parity.measuring.ops import Op
from parity.measuring.timing import Plan

REDIS_KEYS = {"redis_forks", "redis_rdb_saves", "redis_aof_rewrites", "redis_rdb_saved", "redis_bgsave_running"}
PG_KEYS = {"pg_checkpoints_timed", "pg_checkpoints_requested", "pg_checkpoints_done", "pg_checkpoint_buffers_written",
           "pg_autovacuum", "pg_autoanalyze", "pg_autovacuum_other_tables", "pg_autovacuum_running"}


def _wait(pred, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def servers():
    from parity.families.redis.server import EmbeddedRedis
    from parity.families.postgres.server import EmbeddedPostgres
    from parity.servers.embedded import TempRoot
    from parity.servers.readiness import ServerStartError

    root = TempRoot()
    started = []
    try:
        try:
            # Redis as shipped (default save policy); Postgres with a 1 s autovacuum nap so one can be provoked quickly.
            started.append(EmbeddedRedis(root).start())
            started.append(EmbeddedPostgres(root, {"autovacuum_naptime": "1"}).start())
        except ServerStartError as exc:
            pytest.skip(f"not-applicable: embedded servers unavailable: {exc}")
        yield {s.family: s.endpoint() for s in started}
    finally:
        for s in started:
            s.close()
        root.remove()


def test_quiet_window_has_no_events_and_every_key(servers):
    with server_events.Events(servers, ["parity_evtest_none"]) as ev:
        mark = ev.mark()
        got = ev.since(mark)
    assert REDIS_KEYS | PG_KEYS <= set(got), sorted(got)
    assert not any(k.endswith("_unavailable") for k in got), got
    assert got["redis_forks"] == 0 and not got["redis_rdb_saved"], got
    assert got["pg_checkpoints_done"] == 0 and got["pg_autovacuum"] == 0, got


def test_bgsave_and_checkpoint_show_up_as_deltas(servers):
    import psycopg
    import redis

    r = redis.Redis.from_url(servers["redis"].url, decode_responses=True)
    with server_events.Events(servers) as ev, psycopg.connect(servers["postgres"].url, autocommit=True) as conn:
        mark = ev.mark()
        r.set("k", "v")
        r.bgsave()
        assert _wait(lambda: r.info("persistence")["rdb_bgsave_in_progress"] == 0, 10)
        conn.execute("CREATE TABLE ckpt_dirty (x int)")
        conn.execute("CHECKPOINT")
        # The checkpointer publishes its counters after CHECKPOINT has returned to the client: under load they
        # showed 0 when read at once (a fresh-clone CI run). Read until they arrive; the counts must still be 1.
        _wait(lambda: ev.since(mark)["pg_checkpoints_done"] >= 1, 10)
        got = ev.since(mark)
    r.close()
    assert got["redis_forks"] == 1 and got["redis_rdb_saves"] == 1 and got["redis_rdb_saved"], got
    assert got["redis_last_bgsave_status"] == "ok", got
    assert got["pg_checkpoints_requested"] == 1 and got["pg_checkpoints_done"] == 1, got
    text = server_events.describe(got)
    assert "1 Redis fork (BGSAVE" in text and "1 Postgres checkpoint" in text, text


def test_autovacuum_of_the_saver_schema_is_counted_apart_from_other_tables(servers):
    import psycopg

    with psycopg.connect(servers["postgres"].url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA parity_evtest")
        conn.execute("CREATE TABLE parity_evtest.t (x int) WITH (autovacuum_vacuum_threshold = 0, "
                     "autovacuum_vacuum_scale_factor = 0, autovacuum_analyze_threshold = 0, "
                     "autovacuum_analyze_scale_factor = 0)")
        with server_events.Events({"postgres": servers["postgres"]}, ["parity_evtest"]) as ev:
            mark = ev.mark()
            conn.execute("INSERT INTO parity_evtest.t SELECT generate_series(1, 500)")
            conn.execute("DELETE FROM parity_evtest.t WHERE x % 2 = 0")
            assert _wait(lambda: (ev.since(mark)["pg_autovacuum"] or 0) >= 1, 30), ev.since(mark)
            got = ev.since(mark)
    assert got["pg_autovacuum"] >= 1 and "redis_forks" not in got, got
    assert "autovacuum/autoanalyze" in server_events.describe(got) and "of the saver tables" in server_events.describe(got)


def test_unreachable_server_is_reported_not_raised():
    from parity.servers.endpoint import Endpoint

    dead = Endpoint("redis", "redis://127.0.0.1:1/0", "external", owned=False)
    with server_events.Events({"redis": dead}) as ev:
        got = ev.since(ev.mark())
    assert "redis_unavailable" in got and "redis_forks" not in got, got
    assert "statistics unavailable: redis" in server_events.describe(got)


class _B:
    def __init__(self, name, family, durable=True):
        self.name, self.family, self.durable = name, family, durable

    def has(self, *caps):
        from parity.backends.capabilities import Capability as C
        return all((c == C.FULL_HISTORY) or (c == C.DURABLE and self.durable) for c in caps)


class _Session:
    def __init__(self):
        self.doc: dict = {}

    def add(self, section, row):
        self.doc.setdefault(section, []).append(row)


def test_record_op_puts_events_on_server_rows_and_ratios_only():
    session = _Session()
    cond = Conditions("defaults", "sync", None, {}, Plan(2, 2, 1), 5)
    backends = [_B("redis", "redis"), _B("postgres", "postgres"), _B("memory", None, durable=False)]
    samples = {b.name: [100_000 + k for k in range(40)] for b in backends}
    ev = {"window_s": 0.1, "redis_forks": 1, "redis_rdb_saves": 1}
    record_op(session, cond, Op("put", "1KB"), backends, samples, ev)
    rows = {m["backend"]: m for m in session.doc["measurements"]}
    assert rows["redis"]["server_events"] is ev and rows["postgres"]["server_events"] is ev
    assert "server_events" not in rows["memory"]
    assert [r["server_events"] for r in session.doc["ratios"]] == [ev]


def _pair(rep, median, events, p50s=(0.9, 0.3)):
    base = {"op": "put", "flavour": "sync", "loop": None, "payload": "1KB", "pairing": "defaults", "repeat": rep}
    ratio = dict(base, numerator="postgres", denominator="redis", median=median)
    if events is not None:
        ratio["server_events"] = events
    ms = [dict(base, backend=b, p50_ms=p) for b, p in zip(("postgres", "redis"), p50s)]
    return ratio, ms


def _doc(e1, e2, m1=2.0, m2=3.16):
    r1, ms1 = _pair(1, m1, e1, (0.9, 0.44))
    r2, ms2 = _pair(2, m2, e2, (0.9, 0.29))
    return {"ratios": [r1, r2], "measurements": ms1 + ms2}


def test_repeatability_names_the_fork_seen_in_one_repeat_only():
    quiet = {"window_s": 0.5, "redis_forks": 0, "redis_rdb_saves": 0, "redis_rdb_saved": False, "pg_autovacuum": 0}
    forked = dict(quiet, redis_forks=1, redis_rdb_saves=1, redis_rdb_saved=True, redis_latest_fork_ms=0.4)
    got = claims.repeatability(_doc(forked, quiet))
    assert got["put_ratio_repeat_within_tolerance"] is False and got["put_ratio_repeat_server_events_differ"] is True
    assert "repeat 1 saw 1 Redis fork (BGSAVE" in got["put_ratio_repeat_why"], got
    assert "repeat 2 saw no server events" in got["put_ratio_repeat_why"], got
    assert "redis put p50 0.440 vs 0.290 ms" in got["put_ratio_repeat_why"], got
    assert got["put_ratio_repeat_server_events"]["repeat 1"] == {"redis_forks": 1, "redis_rdb_saves": 1,
                                                                 "redis_rdb_saved": True}


def test_repeatability_says_when_no_server_event_explains_the_difference():
    quiet = {"window_s": 0.5, "redis_forks": 0, "pg_checkpoints_done": 0, "pg_autovacuum_running": False}
    got = claims.repeatability(_doc(quiet, dict(quiet)))
    assert got["put_ratio_repeat_server_events_differ"] is False
    assert "not explained by server persistence or maintenance" in got["put_ratio_repeat_why"], got


def test_repeatability_without_events_says_so_and_within_tolerance_adds_nothing():
    got = claims.repeatability(_doc(None, None))
    assert got["put_ratio_repeat_server_events"] is None and "not recorded" in got["put_ratio_repeat_why"]
    within = claims.repeatability(_doc({"redis_forks": 1}, {}, m1=2.0, m2=2.05))
    assert within["put_ratio_repeat_within_tolerance"] is True and "put_ratio_repeat_why" not in within


def test_a_save_in_the_same_second_with_nothing_dirty_still_counts():
    # CI once saw a BGSAVE within the server's first second: rdb_last_save_time (1 s resolution) and the dirty
    # counter (0 before and after) both stood still; only the rdb_saves counter moved.
    a = {"rdb_saves": "0", "total_forks": "0", "rdb_last_save_time": "1700000000", "rdb_changes_since_last_save": "0"}
    b = {"rdb_saves": "1", "total_forks": "1", "rdb_last_save_time": "1700000000", "rdb_changes_since_last_save": "0"}
    assert redis_stats.delta(a, b, "redis_")["redis_rdb_saved"] is True
    assert redis_stats.delta(a, a, "redis_")["redis_rdb_saved"] is False
    # A server without the counter still shows a save through the clock or the dirty counter.
    old_a = {"rdb_last_save_time": "1700000000", "rdb_changes_since_last_save": "5"}
    assert redis_stats.delta(old_a, dict(old_a, rdb_changes_since_last_save="0"), "redis_")["redis_rdb_saved"] is True
