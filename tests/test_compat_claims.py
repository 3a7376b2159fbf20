"""C4, C5 and C12 verdicts computed from hand-made results documents."""

from parity.compat.claims import verdicts


def cell(backend, scenario, flavour, loop, status, reason=""):
    return {"id": f"compat/test_x.py::{scenario}[{backend}-{flavour}-{loop}]", "backend": backend,
            "scenario": scenario, "flavour": flavour, "loop": loop, "status": status, "reason": reason}


def matrix(redis_status="passed", pg_status="passed", proactor=False):
    cells = []
    for b, st in (("redis", redis_status), ("postgres", pg_status), ("memory", "passed")):
        cells.append(cell(b, "test_a", "sync", "selector", "passed"))
        cells.append(cell(b, "test_a", "async", "selector", st))
        cells.append(cell(b, "test_a", "async", "uvloop", "passed"))
        if proactor:
            cells.append(cell(b, "test_a", "async", "proactor", "passed" if b != "postgres" else "failed"))
        else:
            cells.append(cell(b, "test_a", "async", "proactor", "not-applicable",
                              "not-applicable: proactor: ProactorEventLoop exists only on Windows"))
    return {"cells": cells, "conformance": []}


def by_id(doc):
    return {r["id"]: r for r in verdicts(doc)}


def test_c12_confirmed_when_redis_and_postgres_agree():
    assert by_id(matrix())["C12"]["verdict"] == "confirmed"


def test_c12_refuted_by_a_redis_only_divergence():
    row = by_id(matrix(redis_status="diverged"))["C12"]
    assert row["verdict"] == "refuted", row
    assert "test_a[async-selector]" in row["evidence"][0]["only_new"]


def test_c12_counts_known_divergences_and_conformance():
    assert by_id(matrix(redis_status="known-divergence"))["C12"]["verdict"] == "refuted"
    doc = matrix()
    doc["conformance"] = [{"backend": "postgres", "flavour": "sync", "loop": None, "capability": "list", "status": "passed"},
                          {"backend": "redis", "flavour": "sync", "loop": None, "capability": "list", "status": "failed"}]
    assert by_id(doc)["C12"]["verdict"] == "refuted"


def test_c12_not_testable_without_both_sides():
    doc = matrix()
    doc["cells"] = [c for c in doc["cells"] if c["backend"] != "postgres"]
    assert by_id(doc)["C12"]["verdict"] == "not-testable-here"


def test_c4_on_linux_tests_only_the_selector_half():
    row = by_id(matrix())["C4"]
    assert row["verdict"] == "not-testable-here", row
    assert "Selector half tested" in row["reason"] and "Proactor half not tested" in row["reason"], row["reason"]


def test_c4_with_proactor_cells_is_decided():
    assert by_id(matrix(proactor=True))["C4"]["verdict"] == "confirmed"


def test_c4_refuted_when_redis_breaks_under_selector():
    assert by_id(matrix(redis_status="failed"))["C4"]["verdict"] == "refuted"


def test_c5_from_redis_cells_under_the_default_loop():
    assert by_id(matrix())["C5"]["verdict"] == "confirmed"
    assert by_id(matrix(redis_status="diverged"))["C5"]["verdict"] == "confirmed"  # a divergence is C12's matter
    assert by_id(matrix(redis_status="failed"))["C5"]["verdict"] == "refuted"
