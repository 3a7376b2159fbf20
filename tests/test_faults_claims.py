"""Self-tests of parity/injecting/claims.py: verdicts from synthetic documents, one per claim and outcome."""

from __future__ import annotations

from parity.injecting.claims import verdicts


def _dur(settings, lost, acked=60, fault="kill", backend="redis", unresumable=0):
    return {"backend": backend, "settings": settings, "fault": fault, "acknowledged": acked, "lost": lost,
            "unresumable": unresumable}


def _by_id(doc):
    return {row["id"]: row for row in verdicts(doc)}


def test_empty_document_gives_no_rows():
    assert verdicts({}) == [], "claims nobody measured are left to the default not-measured row"


def test_c10_confirmed_when_no_persistence_loses_and_aof_always_keeps():
    doc = {"durability": [_dur("no persistence", 60), _dur("AOF always", 0), _dur("RDB defaults", 60)]}
    row = _by_id(doc)["C10"]
    assert row["verdict"] == "confirmed", row
    assert "RDB defaults lost 60/60" in row["reason"], row["reason"]


def test_c10_reads_what_the_family_declares_not_the_redis_labels():
    """A family names its settings as it likes (Family.durability_settings); the rows carry what it declares of each."""
    def row(label, lost, keeps):
        return {**_dur(label, lost, backend="valkey"), "must_keep_on_kill": keeps}

    doc = {"run": {"pairs": [{"incumbent": "postgres", "candidate": "valkey"}]},
           "durability": [row("appendonly off", 60, False), row("fsync every write", 0, True),
                          row("snapshot defaults", 60, None)]}
    got = _by_id(doc)["C10"]
    assert got["verdict"] == "confirmed", got
    assert "valkey with appendonly off lost 60/60" in got["reason"] and "snapshot defaults lost 60/60" in got["reason"]
    doc["durability"][1]["lost"] = 5
    assert _by_id(doc)["C10"]["verdict"] == "partly"
    assert _by_id({**doc, "durability": doc["durability"][:1]})["C10"]["verdict"] == "not-testable-here"


def test_c10_refuted_when_nothing_is_lost_without_persistence():
    doc = {"durability": [_dur("no persistence", 0), _dur("AOF always", 0)]}
    assert _by_id(doc)["C10"]["verdict"] == "refuted"


def test_c10_partly_when_aof_always_loses():
    doc = {"durability": [_dur("no persistence", 60), _dur("AOF always", 3)]}
    assert _by_id(doc)["C10"]["verdict"] == "partly"


def test_c8_partly_when_refresh_on_read_leaves_half_expired_threads():
    rows = [{"backend": "redis", "case": "ttl expiry", "claim": "C8", "observed": "x", "seconds_until_gone": 3.4,
             "reads": {"whole": 9, "gone": 3, "half": 0}, "keys_left": [], "keys_without_ttl": []},
            {"backend": "redis", "case": "refresh", "claim": "C8", "observed": "y", "as_documented": False,
             "reads": {"whole": 5, "gone": 0, "half": 7}}]
    assert _by_id({"faults": rows})["C8"]["verdict"] == "partly"
    rows[1]["as_documented"] = True
    assert _by_id({"faults": rows})["C8"]["verdict"] == "confirmed"


def test_c9_c7_c14_c15():
    faults = [
        {"backend": "redis", "case": "maxmemory 2048 KiB headroom, policy noeviction", "claim": "C9", "observed": "o",
         "error": "OutOfMemoryError: command not allowed when used memory > 'maxmemory'.",
         "read_at_limit": {"last good checkpoint": 5}, "after_limit_raised": {"resumed": 5, "missing": 1}},
        {"backend": "redis", "case": "no modules", "claim": "C7", "observed": "o", "saver_error": "E", "preflight": "P"},
        {"backend": "postgres->redis", "case": "rollback", "claim": "C14", "observed": "o", "migration_verified": True,
         "created_after_move": 4, "absent_after_rollback": 4, "stale_after_rollback": 2},
        {"backend": "redis", "case": "cluster", "claim": "C15", "observed": "not-applicable: no", "formed": False},
    ]
    got = _by_id({"faults": faults})
    assert {k: v["verdict"] for k, v in got.items()} == {
        "C9": "confirmed", "C7": "confirmed", "C14": "refuted", "C15": "not-testable-here"}, got
    faults[0]["read_at_limit"] = {"broken (ResponseError)": 1}
    faults[3].update(formed=True, scenarios={"setup": "ok", "list": "AttributeError"})
    got = _by_id({"faults": faults})
    assert (got["C9"]["verdict"], got["C15"]["verdict"]) == ("partly", "partly"), got


def test_c14_says_when_moved_threads_did_not_resume_on_the_candidate():
    row = {"backend": "postgres->valkey", "case": "rollback", "claim": "C14", "observed": "o",
           "migration_verified": True, "created_after_move": 4, "absent_after_rollback": 4, "stale_after_rollback": 0,
           "resumed_after_move": 0, "moved_to_resume": 2, "resume_errors": ["NotImplementedError: "]}
    got = _by_id({"faults": [row], "run": {"pairs": [{"incumbent": "postgres", "candidate": "valkey"}]}})["C14"]
    assert got["verdict"] == "partly" and "2/2 did not resume there" in got["reason"], got
    assert "NotImplementedError" in got["reason"] and "postgres" in got["reason"], got


def test_c10_not_testable_when_a_run_acknowledged_nothing():
    for doc in ({"durability": [_dur("no persistence", 0, acked=0), _dur("AOF always", 0)]},
                {"durability": [_dur("no persistence", 60), _dur("AOF always", 0, acked=0)]}):
        row = _by_id(doc)["C10"]
        assert row["verdict"] == "not-testable-here", f"expected not-testable-here, got {row}"
        assert "acknowledged no checkpoints" in row["reason"], row["reason"]


def test_c15_not_testable_when_the_cluster_formed_but_no_scenario_ran():
    row = {"backend": "redis", "case": "cluster", "claim": "C15", "observed": "cluster formed; 0/0", "formed": True,
           "scenarios": {}}
    got = _by_id({"faults": [row]})["C15"]
    assert got["verdict"] == "not-testable-here", f"expected not-testable-here, got {got}"
    assert "no saver scenario ran" in got["reason"], got["reason"]


def test_c9_unacknowledged_thread_is_judged_apart():
    oom = {"backend": "redis", "case": "maxmemory 2048 KiB headroom, policy noeviction", "claim": "C9", "observed": "o",
           "error": "OutOfMemoryError: command not allowed when used memory > 'maxmemory'.",
           "read_at_limit": {"last good checkpoint": 5}, "after_limit_raised": {"resumed": 5}}
    for after, verdict in (("missing; re-sending its input recovers it", "confirmed"),
                           ("left looking finished (next=[]) though its nodes never ran; re-sending its input "
                            "recovers it", "partly"),
                           ("partial (next=['count']); re-sending its input does not recover it", "partly")):
        got = _by_id({"faults": [dict(oom, failed_thread_after=after)]})["C9"]
        assert got["verdict"] == verdict, (after, got)
