"""A benchmark or fault study that did not run keeps its reason in the results document (run.not_run_tests), and the
console, report.html and summary.md say so, as a compat cell's not-applicable reason is kept on its row."""

from __future__ import annotations

import json

import pytest

from conftest import run_cli
from parity.reasons import KINDS
from parity.render import not_run


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    # memory alone: the shadow's cost needs a pair (selection), proactor and winloop are Windows's (platform), uvloop
    # is left out for time (profile); no server starts
    out_dir = tmp_path_factory.mktemp("not-run")
    out = run_cli("run", "--quick", "--only", "bench", "--backend", "memory", "-k", "test_shadow_cost", "--history",
                  "none", "--out", str(out_dir), timeout=300)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    return out_dir, out


def test_a_real_run_keeps_why_each_benchmark_did_not_run(real):
    tmp_path, out = real
    doc = json.loads((tmp_path / "results.json").read_text())
    rows = doc["run"]["not_run_tests"]
    assert {r["id"].split("[")[1] for r in rows} == {"sync]", "async-selector]", "async-proactor]", "async-uvloop]",
                                                    "async-winloop]"}, rows
    assert all(r["reason"].startswith("not-applicable: ") and r["not_applicable"][0]["kind"] in KINDS for r in rows)
    assert set(not_run.kinds(rows)) == {"selection", "platform", "profile"}, rows
    assert not_run.console_line(doc) in out.stdout, out.stdout[-2000:]
    html = (tmp_path / "report.html").read_text()
    assert not_run.TITLE in html and "ProactorEventLoop exists only on Windows" in html
    assert f"### {not_run.TITLE}" in (tmp_path / "summary.md").read_text()


def test_a_run_where_everything_ran_says_nothing_of_it():
    assert not_run.console_line({"run": {}}) is None
    assert not_run.markdown({"run": {}}) == "" and not_run.html({"run": {}}) == ""


def test_merged_runs_keep_each_runs_list_named_by_run(real, tmp_path):
    from parity.cli import main

    (tmp_path / "b").mkdir()
    doc = json.loads((real[0] / "results.json").read_text())
    doc["run"]["id"] += "-other"  # a second run of the same selection, as another shard or machine would be
    (tmp_path / "b" / "results.json").write_text(json.dumps(doc))
    assert main(["merge", str(real[0]), str(tmp_path / "b"), "--out", str(tmp_path / "m")]) == 0
    merged = json.loads((tmp_path / "m" / "results.json").read_text())
    rows = merged["run"]["not_run_tests"]
    assert len(rows) == 2 * len(doc["run"]["not_run_tests"]) and {r["run"] for r in rows} == {
        doc["run"]["id"], doc["run"]["id"].removesuffix("-other")}, rows
    assert "<th>run</th>" in (tmp_path / "m" / "report.html").read_text()
