"""`parity compare` and the run history: significant ratio moves only, absolute p50 only on the same CPU."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from parity import history
from parity.compare import compare, format_comparison, has_regression, same_machine, scope
from parity.errors import ParityUsageError
from parity.results_schema import validate

FIXTURE = Path(__file__).parent / "fixtures" / "sample_results.json"


@pytest.fixture
def old() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture
def new(old) -> dict:
    return copy.deepcopy(old)


def _put_sync_1k(doc: dict) -> dict:
    return next(r for r in doc["ratios"] if (r["op"], r["flavour"], r["payload"], r["pairing"])
                == ("put", "sync", "1KiB", "interleaved"))


def _row(rows: list[dict], kind: str = "ratio", **match) -> dict:
    return next(r for r in rows if r["kind"] == kind and all(r.get(k) == v for k, v in match.items()))


def test_identical_runs_are_unchanged(old, new):
    rows = compare(old, new)
    assert {r["change"] for r in rows} == {"unchanged"}
    assert sum(r["kind"] == "ratio" for r in rows) == len(old["ratios"])
    assert not has_regression(rows)


def test_ratio_drop_beyond_threshold_with_disjoint_cis_is_a_regression(old, new):
    _put_sync_1k(old).update(median=5.97, ci_low=5.5, ci_high=6.44)
    _put_sync_1k(new).update(median=3.0, ci_low=2.8, ci_high=3.2)
    row = _row(compare(old, new), op="put", flavour="sync", payload="1KiB", pairing="interleaved")
    assert row["change"] == "regression", row
    assert row["old"] == (5.97, 5.5, 6.44) and row["new"] == (3.0, 2.8, 3.2)
    assert row["rel_change"] == pytest.approx(-0.497, abs=1e-3)


def test_ratio_rise_is_an_improvement(old, new):
    _put_sync_1k(new).update(median=12.0, ci_low=11.0, ci_high=13.0)
    row = _row(compare(old, new), op="put", flavour="sync", payload="1KiB", pairing="interleaved")
    assert row["change"] == "improvement"


@pytest.mark.parametrize("old_ci, new_ci, why", [
    ((5.97, 5.95, 5.99), (5.5, 5.45, 5.55), "CIs disjoint but only -7.9%, under the 10% threshold"),
    ((5.97, 2.0, 9.0), (3.0, 2.5, 3.5), "-50% but the CIs overlap"),
    ((5.97, None, None), (3.0, 2.8, 3.2), "no CI on the old run: nothing is called significant"),
])
def test_not_significant_is_unchanged(old, new, old_ci, new_ci, why):
    _put_sync_1k(old).update(zip(("median", "ci_low", "ci_high"), old_ci))
    _put_sync_1k(new).update(zip(("median", "ci_low", "ci_high"), new_ci))
    row = _row(compare(old, new), op="put", flavour="sync", payload="1KiB", pairing="interleaved")
    assert row["change"] == "unchanged", why


def test_threshold_is_a_parameter(old, new):
    _put_sync_1k(old).update(median=5.97, ci_low=5.95, ci_high=5.99)
    _put_sync_1k(new).update(median=5.5, ci_low=5.45, ci_high=5.55)
    row = _row(compare(old, new, threshold=0.05), op="put", flavour="sync", payload="1KiB", pairing="interleaved")
    assert row["change"] == "regression"


def test_p50_compared_only_on_the_same_cpu(old, new):
    m = next(m for m in new["measurements"] if m["backend"] == "redis" and m["op"] == "put")
    before = next(o for o in old["measurements"] if o["backend"] == "redis" and o["op"] == "put"
                  and o["flavour"] == m["flavour"] and o["payload"] == m["payload"] and o.get("loop") == m.get("loop"))
    before.update(ci_low_ms=before["p50_ms"] * 0.99, ci_high_ms=before["p50_ms"] * 1.01)
    m["p50_ms"] = round(m["p50_ms"] * 1.25, 4)
    m.update(ci_low_ms=m["p50_ms"] * 0.99, ci_high_ms=m["p50_ms"] * 1.01)  # a move beyond the CIs: significant
    assert same_machine(old, new)
    rows = compare(old, new)
    p50 = _row(rows, "p50", backend="redis", op="put", flavour=m["flavour"], payload=m["payload"])
    assert p50["change"] == "regression" and p50["pairing"] is None
    assert scope(old, new).startswith("ratios and absolute p50")

    new["machine"]["cpu_model"] = "Apple M3"
    rows = compare(old, new)
    assert all(r["kind"] == "ratio" for r in rows)
    assert scope(old, new).startswith("ratios only") and "Apple M3" in scope(old, new)


def test_rows_only_in_one_run_are_skipped(old, new):
    new["ratios"] = new["ratios"][:3]
    assert len([r for r in compare(old, new) if r["kind"] == "ratio"]) == 3


def test_format_comparison(old, new):
    _put_sync_1k(old).update(median=5.97, ci_low=5.5, ci_high=6.44)
    _put_sync_1k(new).update(median=3.0, ci_low=2.8, ci_high=3.2)
    text = format_comparison(compare(old, new), scope(old, new))
    assert "regressions: 1" in text
    assert "ratio put sync 1KiB postgres÷redis interleaved: 5.97 [5.5, 6.44] -> 3 [2.8, 3.2] (-50%)" in text


# ---- history ---------------------------------------------------------------------------------------------

def test_history_append_load_trend(old, tmp_path):
    path = tmp_path / "reports" / "history.jsonl"
    assert history.load(path) == [] and history.trend(path) == []
    history.append(old, path)
    history.append(old, path)  # the same run twice: written once
    later = copy.deepcopy(old)
    later["run"].update(id="later-run", finished="2026-12-01T00:00:00+00:00")
    _put_sync_1k(later)["median"] = 6.5
    history.append(later, path)
    runs = history.load(path)
    assert [r["run_id"] for r in runs] == [old["run"]["id"], "later-run"]
    assert runs[0]["cpu_model"] == old["machine"]["cpu_model"] and runs[0]["commit"] == old["run"]["git_commit"]
    assert len(path.read_text().splitlines()) == 2
    rows = history.trend(path)
    assert len(rows) == 2 * len(old["ratios"])
    key = ("put", "sync", "1KiB", "interleaved")
    put = [r["median"] for r in rows if (r["op"], r["flavour"], r["payload"], r["pairing"]) == key]
    assert put == [_put_sync_1k(old)["median"], 6.5], "oldest first"
    old["history"] = rows
    validate(old)  # trend rows are what the report's history section expects


def test_history_trend_filters_by_cpu(old, tmp_path):
    path = tmp_path / "history.jsonl"
    history.append(old, path)
    assert history.trend(path, cpu_model="Apple M3") == []
    assert history.trend(path, cpu_model=old["machine"]["cpu_model"])


def test_history_bad_line_is_one_clear_error(old, tmp_path):
    path = tmp_path / "history.jsonl"
    history.append(old, path)
    with path.open("a") as fh:
        fh.write('{"run_id": "torn\n')
    with pytest.raises(ParityUsageError, match=r"line 2 is not JSON") as info:
        history.load(path)
    assert "\n" not in str(info.value)


def test_rows_of_different_loops_and_repeats_are_not_mixed():
    base = {"op": "put", "flavour": "async", "payload": "1KB", "pairing": "defaults",
            "numerator": "postgres", "denominator": "redis"}
    rows = [dict(base, loop="selector", repeat=1, median=20.0, ci_low=19.0, ci_high=21.0),
            dict(base, loop="uvloop", repeat=1, median=10.0, ci_low=9.5, ci_high=10.5)]
    doc = {"machine": {"cpu_model": "x"}, "ratios": rows, "measurements": []}
    assert [r["change"] for r in compare(doc, doc)] == ["unchanged", "unchanged"], "identical runs must not regress"


def test_a_figure_that_drifts_against_itself_raises_its_own_bar():
    """The repeats rule is per figure: a move within the larger of the two runs' own spreads between repeats of that
    figure is noise (doubled where not pinned); another figure's spread raises nothing."""
    from parity.measuring.placement import HEADLINE

    def doc(put: list[float], get: list[float], layout: str = HEADLINE) -> dict:
        base = {"flavour": "sync", "loop": None, "payload": "1KB", "pairing": "defaults", "numerator": "postgres",
                "denominator": "redis", "layout": layout}
        rows = [dict(base, op=op, repeat=k + 1, median=m, ci_low=m * 0.98, ci_high=m * 1.02)
                for op, meds in (("put", put), ("get_tuple_latest", get)) for k, m in enumerate(meds)]
        return {"machine": {"cpu_model": "x"}, "ratios": rows, "measurements": []}

    def changes(old: dict, new: dict) -> dict:
        return {r["op"]: (r["change"], r.get("suppressed_by")) for r in compare(old, new)}
    # put's repeats moved 40% in the old run (2.0, 2.8; median 2.4); -25% to 1.8 with the CIs apart is within it.
    got = changes(doc([2.0, 2.8], [1.0, 1.01]), doc([1.8, 1.8], [0.75, 0.75]))
    assert got["put"] == ("unchanged", "repeats"), got
    # get_tuple's own repeats agreed (1%): its -25% is a regression, whatever put's spread was.
    assert got["get_tuple_latest"] == ("regression", None), got
    assert "own spread between repeats" in scope(doc([2.0], [1.0]), doc([2.0], [1.0]))
    # Not pinned: the spread counts double (put 2.0/2.2 = 10%, so 20%); a -15% move is inside it.
    got = changes(doc([2.0, 2.2], [1.0, 1.0], "shared CPUs"), doc([1.8, 1.77], [1.0, 1.0], "shared CPUs"))
    assert got["put"] == ("unchanged", "repeats"), got


def test_the_terminal_lists_each_rules_largest_moves_and_all_on_request(tmp_path, capsys):
    """Two real quick runs of one commit on a busy machine: 100+ rows explained away. The terminal shows each rule's
    largest moves and how many more; --all lists every row."""
    import gzip

    from parity.cli import main
    from parity.cli.report import SUPPRESSED_SHOWN

    corpus = Path(__file__).parent / "fixtures" / "results_corpus"
    for name in ("bench-quick-a", "bench-quick-b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "results.json").write_bytes(gzip.decompress((corpus / f"{name}.json.gz").read_bytes()))
    runs = [str(tmp_path / "bench-quick-a"), str(tmp_path / "bench-quick-b")]
    main(["compare", *runs])
    short = capsys.readouterr().out
    main(["compare", *runs, "--all"])
    whole = capsys.readouterr().out
    more = [line for line in short.splitlines() if "more, smaller moves (--all lists every row)" in line]
    assert more and "--all lists every row" not in whole, short
    listed = lambda text: [line for line in text.splitlines() if line.startswith("    ") and " was a" in line]  # noqa: E731
    assert len(listed(whole)) == len(listed(short)) + sum(int(line.split("and ")[1].split()[0]) for line in more)
    rules = [line for line in short.splitlines() if line.startswith("  ") and not line.startswith("   ")
             and line.rstrip().split(": ")[-1].isdigit()]
    assert len(listed(short)) <= SUPPRESSED_SHOWN * len(rules), short
