"""C4, C5 and C12 verdicts computed from hand-made results documents."""

from parity.judging.claims import verdicts


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


def test_c12_counts_a_one_sided_failure_as_a_difference():
    doc = matrix()
    doc["cells"] += [cell("postgres", "test_b", "sync", "selector", "passed"),
                     cell("redis", "test_b", "sync", "selector", "failed"),
                     cell("postgres", "test_c", "sync", "selector", "error"),
                     cell("redis", "test_c", "sync", "selector", "passed")]
    row = by_id(doc)["C12"]
    assert row["verdict"] == "refuted", f"expected refuted, got {row}"
    ev = row["evidence"][0]
    assert ev["only_new"] == ["test_b[sync] (failed)"] and ev["only_old"] == ["test_c[sync] (error)"], ev
    assert "postgres -> redis: 5 cells" in row["reason"], row["reason"]


def test_c12_reason_names_the_pair_and_the_cells_compared():
    row = by_id(matrix())["C12"]
    assert row["verdict"] == "confirmed", row
    assert "postgres -> redis: 3 cells and 0 conformance capabilities compared" in row["reason"], row["reason"]


def test_c12_without_the_full_pair_is_at_most_partly():
    doc = matrix()
    for c in doc["cells"]:
        c["backend"] = {"redis": "redis-shallow", "postgres": "postgres-shallow"}.get(c["backend"], c["backend"])
    row = by_id(doc)["C12"]
    assert row["verdict"] == "not-testable-here", f"shallow agreement says nothing about the full savers: {row}"
    assert "(postgres -> redis) was not compared" in row["reason"] and "postgres-shallow -> redis-shallow: 3 cells" in row["reason"], row
    doc["cells"].append(cell("redis-shallow", "test_b", "sync", "selector", "failed"))
    doc["cells"].append(cell("postgres-shallow", "test_b", "sync", "selector", "passed"))
    assert by_id(doc)["C12"]["verdict"] == "partly", by_id(doc)["C12"]
