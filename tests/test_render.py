"""Schema and renderers: a realistic document validates and renders to HTML, Markdown and JUnit; so does an empty."""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from parity.errors import ParityUsageError
from parity.render import render_all, render_html, render_junit, render_markdown
from parity.render.claims_table import format_claims_table
from parity.sections import declared, empty_sections
from parity.results_schema import validate

FIXTURE = Path(__file__).parent / "fixtures" / "sample_results.json"


@pytest.fixture
def doc() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture
def empty_doc() -> dict:
    # Built by hand, not with results.new_document(): that one asks git for the commit.
    doc = {"schema_version": 2, "run": {"id": "empty-run"}, "machine": {}, "versions": {}}
    doc.update({s.name: [] if s.rows else {} for s in declared() if s.empty})
    return doc


# ---- schema ------------------------------------------------------------------------------------------

def test_fixture_populates_every_section_and_validates(doc):
    empty = [s for s in empty_sections() if not doc.get(s)]
    assert empty == [], f"fixture should populate every section, empty: {empty}"
    validate(doc)


def test_empty_document_validates(empty_doc):
    validate(empty_doc)


@pytest.mark.parametrize("mutate, path", [
    (lambda d: d["cells"][3].update(status="weird"), "cells[3].status"),
    (lambda d: d.pop("ratios"), "(top level)"),
    (lambda d: d.update(schema_version=99), "schema_version"),
    (lambda d: d["claims"][0].update(verdict="maybe"), "claims[0].verdict"),
    (lambda d: d["measurements"][1].update(flavour="threaded"), "measurements[1].flavour"),
    (lambda d: d["durability"][0].pop("lost"), "durability[0]"),
])
def test_invalid_document_names_the_first_error_path_on_one_line(doc, mutate, path):
    mutate(doc)
    with pytest.raises(ParityUsageError) as info:
        validate(doc)
    message = str(info.value)
    assert "\n" not in message, f"expected one line, got {message!r}"
    assert f"invalid at {path}:" in message, f"expected path {path!r} in {message!r}"


def test_unmasked_password_is_rejected_without_echoing_it(doc):
    doc["servers"][0]["url"] = "redis://default:hunter2@10.0.0.5:6379/0"
    with pytest.raises(ParityUsageError) as info:
        validate(doc)
    assert "servers[0].url" in str(info.value)
    assert "hunter2" not in str(info.value), "the error message must not leak the password"


def test_rows_may_carry_extra_fields(doc):
    doc["cells"][0]["module"] = "compat.test_interrupts"
    doc["ratios"][0]["settings"] = "synchronous_commit=on vs appendfsync always"
    doc["brand_new_section"] = [{"anything": 1}]
    validate(doc)


# ---- markdown ------------------------------------------------------------------------------------------

def test_markdown_has_claims_table_ratios_counts_findings_and_machine(doc):
    md = render_markdown(doc)
    assert "| ID | Claim | Verdict | Why |" in md
    for claim in doc["claims"]:
        assert re.search(rf"^\| {claim['id']} \| .* \| .*{claim['verdict']} \|", md, re.M), f"no row for {claim['id']}"
    assert "**5.97×**" in md, "the headline put ratio should be shown"
    counts = Counter(c["status"] for c in doc["cells"])
    assert f"| {counts['passed']} |" in md and f"| {len(doc['cells'])} |" in md
    from parity.cell_ids import of_finding

    for finding in doc["findings"]:  # named by their cells, as the console, junit and the gate name them
        assert f"`{of_finding(finding)}`" in md
    assert doc["machine"]["cpu_model"] in md
    assert "\x1b" not in md, "ANSI escape codes from a diff must not reach the summary"


def test_markdown_table_cells_escape_pipes_and_html(doc):
    doc["claims"][0]["reason"] = "a | b <img src=x>"
    md = render_markdown(doc)
    assert "a \\| b &lt;img src=x&gt;" in md


# ---- junit --------------------------------------------------------------------------------------------------

def test_junit_has_one_testcase_per_cell_with_failures_and_skips(doc):
    root = ET.fromstring(render_junit(doc).encode("utf-8"))
    cases = root.findall(".//testcase")
    assert len(cases) == len(doc["cells"])
    assert [c.get("name") for c in cases] == [c["id"] for c in doc["cells"]]
    status = Counter(c["status"] for c in doc["cells"])
    failures, skipped, errors = (len(root.findall(f".//testcase/{tag}")) for tag in ("failure", "skipped", "error"))
    assert failures == status["diverged"] + status["failed"]
    assert skipped == status["known-divergence"] + status["not-applicable"]
    assert errors == status["error"]
    suite = root.find("testsuite")
    assert suite.get("tests") == str(len(cases)) and suite.get("failures") == str(failures)


def test_junit_failure_carries_the_finding_diff_and_classname(doc):
    root = ET.fromstring(render_junit(doc).encode("utf-8"))
    name = "compat/test_history.py::test_state_history_order[redis-async-uvloop]"
    case = next(c for c in root.iter("testcase") if c.get("name") == name)
    assert case.get("classname") == "compat.test_history.redis"
    failure = case.find("failure")
    assert failure is not None and "<Interrupt value='approve?'>" in failure.text
    assert "f-redis-history-order" in failure.text


def test_junit_escapes_markup_and_control_characters(doc):
    cell = doc["cells"][0]
    cell.update(id='compat/x.py::test_<&"weird">[redis-sync]', status="failed",
                reason="bad \x00 byte \x1b[31mred\x1b[0m & <tag>", finding_ids=[])
    root = ET.fromstring(render_junit(doc).encode("utf-8"))  # must parse
    case = root.find(".//testcase")
    assert case.get("name") == 'compat/x.py::test_<&"weird">[redis-sync]'
    assert "red & <tag>" in case.find("failure").get("message")


# ---- html ------------------------------------------------------------------------------------------------------

def test_html_is_self_contained(doc):
    html = render_html(doc)
    external = re.findall(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", html, re.I)
    assert external == [], f"external resources would need the network at view time: {external}"
    assert html.count("* plotly.js v") == 1, "plotly.js must be inlined exactly once"


def test_html_shows_run_claims_and_links_divergences_to_findings(doc):
    html = render_html(doc)
    assert doc["run"]["id"] in html and doc["machine"]["cpu_model"] in html
    for name, version in doc["versions"].items():
        assert f"{name} <b>{version}</b>" in html
    for claim in doc["claims"]:
        assert f'class="badge v-{claim["verdict"]}"' in html
    for cell in doc["cells"]:
        for fid in cell.get("finding_ids") or []:
            assert f'href="#finding-{fid}"' in html and f'id="finding-{fid}"' in html


def test_html_escapes_text_from_the_document(doc):
    doc["findings"][0]["summary"] = "<script>alert(1)</script>"
    doc["ratios"][0]["op"] = "</script><script>alert(2)</script>"
    html = render_html(doc)
    assert "<script>alert(1)" not in html and "<script>alert(2)" not in html


def test_every_section_renders_when_empty(empty_doc):
    html = render_html(empty_doc)
    assert html.count("not measured in this run") >= 12, "each empty section should say so"
    assert "plotly.js" not in html, "no chart, no plotly bundle"
    md = render_markdown(empty_doc)
    assert "| C1 | Writes 10–100x faster on Redis | — no verdict |" in md
    assert ET.fromstring(render_junit(empty_doc)).get("tests") == "0"
    assert "15 without verdict" in format_claims_table(empty_doc)


def test_optional_fields_may_be_missing(doc):
    for cell in doc["cells"]:
        for key in ("reason", "runs", "diverged_runs", "workload", "finding_ids", "claims"):
            cell.pop(key, None)
    for m in doc["measurements"]:
        m.pop("hist", None)
    for r in doc["ratios"]:
        r.update(ci_low=None, ci_high=None)
    for f in doc["findings"]:
        f.pop("known", None)
    doc.pop("overhead")
    doc.pop("history")
    validate(doc)
    html = render_html(doc)
    assert "Trend across runs" not in html, "no history key, no trend section"
    assert "CI n/a" in render_markdown(doc)
    ET.fromstring(render_junit(doc))


def test_history_section_when_present(doc):
    assert "Trend across runs" in render_html(doc)
    doc["history"] = []
    assert "Trend across runs" in render_html(doc)


def test_claims_table_fits_the_terminal(doc):
    text = format_claims_table(doc, width=100)
    assert all(len(line) <= 100 for line in text.splitlines()), "lines wider than 100 columns"
    for cid in (f"C{i}" for i in range(1, 16)):
        assert re.search(rf"^{cid}\s", text, re.M), f"{cid} missing"
    assert "5 confirmed · 5 partly · 3 refuted · 2 not-testable-here" in text


def test_render_all_writes_three_files(doc, tmp_path):
    written = render_all(copy.deepcopy(doc), tmp_path / "out")
    assert sorted(written) == ["junit.xml", "report.html", "summary.md"]
    assert all(p.stat().st_size > 0 for p in written.values())
    assert not list((tmp_path / "out").glob("*.tmp")), "no temporary files left behind"


def test_latency_chart_keeps_one_series_per_backend_and_says_what_it_left_out():
    from parity.render import charts

    rows = [{"backend": b, "flavour": f, "loop": lp, "op": "put", "payload": "1KB", "pairing": pairing,
             "repeat": rep, "p50_ms": 1.0, "p90_ms": 2.0, "p99_ms": 3.0}
            for b in ("redis", "postgres") for f, lp in (("sync", None), ("async", "selector"), ("async", "uvloop"))
            for pairing in ("defaults", "defaults", "strict: aof-always vs sync-commit-on") for rep in (1, 2)]
    kept, note = charts.latency_selection(rows)
    assert {(m["pairing"], m["loop"], m["repeat"]) for m in kept} == {("defaults", None, 1), ("defaults", "selector", 1)}
    assert "settings pairing defaults" in note and "async under selector" in note and "table below" in note, note
    fig = charts.latency_figure(rows)
    assert {t.name for t in fig.data if t.showlegend} == {"redis · defaults", "postgres · defaults"}


def test_the_same_difference_in_several_flavours_is_one_finding_card_with_every_anchor():
    from parity.render import tables

    base = {"backend": "redis", "scenario": "test_x", "claim": "C12", "summary": "s", "diff": "-a\n+b",
            "seen": 1, "runs": 1}
    doc = {"findings": [dict(base, id="f1", flavour="sync"), dict(base, id="f2", flavour="async", loop="uvloop"),
                        dict(base, id="f3", flavour="async", loop="selector", diff="-a\n+c"),
                        dict(base, id="f4", flavour="sync", summary="t")], "cells": []}
    html = tables.findings_list(doc)
    assert html.count("<article") == 2, html
    assert all(f'id="finding-{i}"' in html for i in ("f1", "f2", "f3", "f4")), html
    assert "sync, async/uvloop" in html and "2 root causes (4 cells)" in html
    assert "+c" in html and "the diff in async/selector" in html, "a group's other diffs are shown too"


def test_findings_with_one_root_cause_group_across_scenarios_and_parameters_but_not_across_backends():
    from parity.render.common import group_findings

    def f(backend, scenario, summary):
        return {"backend": backend, "scenario": scenario, "summary": summary, "diff": scenario}
    findings = [f("os", "test_ids", "raised ValueError: thread_id='a@b' is not a valid path segment"),
                f("os", "test_ids", "raised ValueError: thread_id='a b' is not a valid path segment"),
                f("os", "test_list", "raised TypeError: 'NoneType' object is not subscriptable"),
                f("os", "test_all", "raised TypeError: 'NoneType' object is not subscriptable"),
                f("lmdb", "test_all", "raised TypeError: 'NoneType' object is not subscriptable"),
                f("os", "test_list", "list(limit=0): - []")]
    sizes = [len(g) for g in group_findings(findings)]
    assert sizes == [2, 2, 1, 1], sizes
