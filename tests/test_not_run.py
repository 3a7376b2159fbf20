"""A benchmark or fault study that did not run keeps its reason in the results document (run.not_run_tests), and the
console, report.html and summary.md say so, as a compat cell's not-applicable reason is kept on its row."""

from __future__ import annotations

import json

from conftest import run_cli
from parity.reasons import KINDS
from parity.render import not_run


def test_a_real_run_keeps_why_each_benchmark_did_not_run(tmp_path):
    # memory alone: the shadow's cost needs a pair (selection), proactor and winloop are Windows's (platform), uvloop
    # is left out for time (profile); no server starts
    out = run_cli("run", "--quick", "--only", "bench", "--backend", "memory", "-k", "test_shadow_cost", "--history",
                  "none", "--out", str(tmp_path), timeout=300)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
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
