"""Verdict rules for C1, C2, C3 from synthetic results documents."""

from __future__ import annotations

from parity.measuring import claims


def _ratio(op, kind, median, low, high, pairing="defaults"):
    return {"op": op, "op_kind": kind, "flavour": "sync", "loop": None, "payload": "1KB", "pairing": pairing,
            "numerator": "postgres", "denominator": "redis", "median": median, "ci_low": low, "ci_high": high,
            "repeat": 1}


def _m(family, op, p50, low, high, kind="read"):
    return {"backend": family, "family": family, "flavour": "sync", "loop": None, "op": op, "payload": "1KB",
            "op_kind": kind, "pairing": "defaults", "p50_ms": p50, "p99_ms": p50 * 2, "ci_low_ms": low,
            "ci_high_ms": high, "repeat": 1}


def test_c1_confirmed_only_when_every_write_ci_inside_band():
    doc = {"ratios": [_ratio("put", "write", 20, 15, 25), _ratio("put_writes", "write", 30, 12, 40)]}
    assert claims.c1(doc)["verdict"] == "confirmed"


def test_c1_refuted_when_every_write_ci_below_band():
    doc = {"ratios": [_ratio("put", "write", 3, 2.5, 3.5), _ratio("put_writes", "write", 1.1, 0.9, 1.3)]}
    row = claims.c1(doc)
    assert row["verdict"] == "refuted", row
    assert "defaults" in row["reason"]


def test_c1_partly_when_a_ci_straddles_the_band_edge():
    doc = {"ratios": [_ratio("put", "write", 10, 8, 12)]}
    assert claims.c1(doc)["verdict"] == "partly"


def test_c1_uses_defaults_pairing_and_names_the_others():
    doc = {"ratios": [_ratio("put", "write", 20, 15, 25),
                      _ratio("put", "write", 1.2, 1.0, 1.4, pairing="strict: aof-always vs sync-commit-on")]}
    row = claims.c1(doc)
    assert row["verdict"] == "confirmed", row
    assert "strict" in row["reason"], row["reason"]


def test_c1_ignores_reads_and_c2_ignores_writes():
    doc = {"ratios": [_ratio("put", "write", 20, 15, 25), _ratio("get_tuple_latest", "read", 0.5, 0.4, 0.6)]}
    assert claims.c1(doc)["verdict"] == "confirmed"
    assert claims.c2(doc)["verdict"] == "refuted"


def test_c2_without_ratios_is_not_testable():
    assert claims.c2({"ratios": []})["verdict"] == "not-testable-here"


def test_c3_confirmed_when_redis_under_1ms_and_postgres_1_to_10ms():
    doc = {"measurements": [_m("redis", "get", 0.3, 0.28, 0.33), _m("postgres", "get", 2.0, 1.8, 2.2)]}
    assert claims.c3(doc)["verdict"] == "confirmed"


def test_c3_refuted_when_both_families_outside_their_bands():
    doc = {"measurements": [_m("redis", "get", 2.0, 1.9, 2.1), _m("postgres", "get", 0.2, 0.19, 0.21)]}
    assert claims.c3(doc)["verdict"] == "refuted"


def test_c3_partly_when_one_family_holds_and_the_other_not():
    doc = {"measurements": [_m("redis", "get", 0.3, 0.28, 0.33), _m("postgres", "get", 0.2, 0.19, 0.21)]}
    assert claims.c3(doc)["verdict"] == "partly"


def test_c3_ignores_graph_steps():
    doc = {"measurements": [_m("redis", "get", 0.3, 0.28, 0.33), _m("redis", "graph_step", 5.0, 4.5, 5.5, kind="graph")]}
    assert claims.c3(doc)["verdict"] == "confirmed"


def test_overhead_is_fraction_of_fastest_redis_op():
    doc = {"floors": [{"backend": "harness", "p50_ms": 0.0002}, {"backend": "harness", "p50_ms": 0.0001}],
           "measurements": [_m("redis", "get", 0.2, 0.1, 0.3), _m("redis", "put", 0.4, 0.3, 0.5)]}
    assert claims.overhead(doc)["fraction_of_fastest"] == 0.0002 / 0.2


def _fp(backend, family, op, full=True, cpu=0.1, cmds=1.0, rts=1.0, wire=1000.0, stored=None):
    return {"backend": backend, "family": family, "op": op, "full_history": full, "server_cpu_ms": cpu,
            "commands_per_call": cmds, "round_trips": rts, "bytes_wire": wire, "bytes_stored_per_checkpoint": stored,
            "commands_counter": "test"}


def test_c11_reason_gives_commands_and_round_trips_per_op():
    doc = {"footprint": [_fp("redis", "redis", "get_tuple_latest", cmds=9, rts=3, cpu=0.05),
                         _fp("postgres", "postgres", "get_tuple_latest", cmds=2, rts=2, cpu=0.1)]}
    row = claims.c11(doc)
    assert "get_tuple_latest redis 9 commands in 3 round trips vs postgres 2 statements in 2" in row["reason"], row
    assert "9 commands in 3 round trips per call" in " ".join(row["evidence"]), row["evidence"]


def test_c11_compares_full_history_with_full_and_shallow_with_shallow():
    doc = {"footprint": [_fp("redis", "redis", "put", cpu=0.05, stored=9000),
                         _fp("redis-shallow", "redis", "put", full=False, cpu=0.5, stored=100),
                         _fp("postgres", "postgres", "put", cpu=0.1, stored=5000)]}
    row = claims.c11(doc)
    # Only redis vs postgres is a pair: less CPU and more memory on Redis, so both halves hold.
    assert row["verdict"] == "confirmed", row
    assert "1/1 op rows" in row["reason"] and "redis 9000 vs postgres 5000" in row["reason"], row["reason"]
    assert "redis-shallow" not in row["reason"], row["reason"]


def test_c11_refuted_when_redis_uses_more_cpu_and_less_memory():
    doc = {"footprint": [_fp("redis", "redis", "put", cpu=0.3, stored=1000),
                         _fp("postgres", "postgres", "put", cpu=0.1, stored=5000)]}
    assert claims.c11(doc)["verdict"] == "refuted"


def test_c11_without_both_families_is_not_testable():
    assert claims.c11({"footprint": [_fp("redis", "redis", "put")]})["verdict"] == "not-testable-here"


def test_c13_judges_each_flavour_against_itself():
    """sync 1000->900 and async 300->270 ops/s both keep 90%: mixing flavours must not read as a collapse."""
    from parity.measuring.claims import c13

    def row(flavour, x, ops):
        return {"dimension": "concurrency", "family": "redis", "backend": "redis", "flavour": flavour,
                "loop": None if flavour == "sync" else "selector", "pool": {"arm": "default"}, "x": x,
                "throughput_ops": ops, "p99_ms": 1.0, "errors": 0}
    doc = {"growth": [row("sync", 1, 1000), row("sync", 64, 900), row("async", 1, 300), row("async", 64, 270)]}
    verdict = c13(doc)
    assert verdict["verdict"] == "confirmed", verdict
    assert "redis sync" in verdict["reason"] and "redis async/selector" in verdict["reason"]


def test_put_ratio_repeatability_is_reported():
    from parity.measuring.claims import repeatability

    base = {"op": "put", "flavour": "sync", "loop": None, "payload": "1KB", "pairing": "defaults",
            "numerator": "postgres", "denominator": "redis"}
    doc = {"ratios": [dict(base, repeat=1, median=2.0), dict(base, repeat=2, median=2.5)]}
    got = repeatability(doc)
    assert got["put_ratio_repeat_max_rel_diff"] == 0.25 and got["put_ratio_repeat_within_tolerance"] is False, got
