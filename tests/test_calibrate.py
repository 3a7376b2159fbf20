"""`parity calibrate`: its judgement of clean and slowed runs (real documents of the corpus), and its bad input."""

from __future__ import annotations

import gzip
import json

import pytest

from parity.calibrate import build, expected, false_alarms, judge, smallest, statement, summary
from parity.cli import main
from tests.results_corpus import CORPUS


def corpus(name: str) -> dict:
    return json.loads(gzip.decompress((CORPUS / f"{name}.json.gz").read_bytes()))


@pytest.fixture(scope="module")
def clean_a() -> dict:
    return corpus("bench-quick-a")


@pytest.fixture(scope="module")
def clean_b() -> dict:
    return corpus("bench-quick-b")


@pytest.fixture(scope="module")
def slowed() -> dict:
    return corpus("bench-slowed")


def test_the_direction_a_slower_backend_moves_each_row():
    ratio = {"kind": "ratio", "numerator": "postgres", "denominator": "redis"}
    assert expected(ratio, "redis") == "regression", "a slower denominator lowers postgres÷redis"
    assert expected(ratio, "postgres") == "improvement"
    assert expected(ratio, "sqlite") is None
    assert expected({"kind": "p50", "backend": "redis"}, "redis") == "regression"
    assert expected({"kind": "p50", "backend": "postgres"}, "redis") is None


def test_smallest_share_counts_only_when_every_larger_one_was_flagged_too():
    def d(share, hit):
        return {"method": "put", "share": share, "flavours": {"sync": {"detected": hit}}}
    assert smallest([d(0.1, False), d(0.2, True), d(0.4, True)]) == {"put (sync)": 0.2}
    assert smallest([d(0.1, True), d(0.2, False), d(0.4, True)]) == {"put (sync)": 0.4}, "0.1 without 0.2 is luck"
    assert smallest([d(0.1, False), d(0.4, False)]) == {"put (sync)": None}


def test_the_slowed_run_is_judged_on_the_ops_the_slowdown_moves(clean_a, slowed):
    assert slowed["run"]["slowdowns"] == [{"backend": "redis", "method": "put", "share": 0.3}]
    verdict = judge(clean_a, slowed, "redis", "put")
    assert set(verdict["flavours"]) == {"sync", "async"}, verdict["flavours"].keys()
    for f in verdict["flavours"].values():
        assert all(" put " in line or "graph_step" in line for line in f["flagged"]), f
        assert f["detected"] == bool(f["flagged"])
    assert all(" put " not in line for line in verdict["unrelated"]), verdict["unrelated"]


def test_same_code_pairs_and_the_statement(clean_a, clean_b, slowed):
    alarms = false_alarms([clean_a, clean_b])
    assert alarms["pairs"] == 1 and alarms["flagged"] == (1 if alarms["detail"][0]["flagged"] else 0)
    cal = build([clean_a, clean_b], [("put", 0.3, slowed)], "redis", seconds=600)
    line = summary(cal)
    assert "same-code pairs flagged" in line and f"of {cal['same_code']['pairs']}" in line and "redis" in line
    assert ("≥ 30% on put (sync)" in line) == (cal["smallest"]["put (sync)"] == 0.3), line
    assert statement(cal, [clean_a, clean_b]) == "calibration: " + line
    other = {**clean_a, "machine": {**clean_a["machine"], "cpu_model": "Apple M3"}}
    assert "made on another CPU" in statement(cal, [other, clean_b])


@pytest.mark.parametrize("args, words", [(["--shares", "x"], "not numbers"), (["--methods", "nope"], "unknown saver"),
                                         (["--same-code", "0"], "at least 1"), (["--shares", "0"], "above 0")])
def test_bad_input_is_one_line_and_exit_2_before_any_run(args, words, capsys, tmp_path):
    assert main(["calibrate", *args, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err, err
    assert not any(tmp_path.iterdir()), "nothing ran"


def test_the_calibration_document_validates_and_renders(clean_a, clean_b, slowed):
    from parity import results
    from parity.render.html import render_html
    from parity.render.markdown import render_markdown
    from parity.results_schema import validate

    cal = build([clean_a, clean_b], [("put", 0.3, slowed)], "redis", seconds=600)
    doc = results.new_document()
    doc["calibration"] = json.loads(json.dumps(cal))  # as saved and loaded
    validate(doc)
    assert summary(cal) in render_markdown(doc)
    html = render_html(doc)
    assert 'id="calibration"' in html and "What compare detects on this runner" in html


def test_an_earlier_calibration_is_judged_again_without_a_run(clean_a, clean_b, slowed, tmp_path, capsys):
    """`--judge DIR`: the runs an earlier calibration left (clean-*/ and slowed ones recording run.slowdowns) through
    this version's compare, no run made; a folder without them is one line and exit 2."""
    from parity import results

    for name, doc in (("clean-0", clean_a), ("clean-1", clean_b), ("put-0.3", slowed)):
        results.save(doc, tmp_path / name)
    before = {p.name for p in tmp_path.iterdir()}
    assert main(["calibrate", "--judge", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    cal = json.loads((tmp_path / "calibration.json").read_text())
    assert cal["backend"] == "redis" and cal["same_code"]["pairs"] == 1 and len(cal["detection"]) == 1
    assert summary(cal) in out and "judging 2 clean and 1 slowed runs" in out
    assert {p.name for p in tmp_path.iterdir()} - before >= {"calibration.json", "report.html", "results.json"}
    assert main(["calibrate", "--judge", str(tmp_path / "clean-0")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "2+ clean runs" in err, err
