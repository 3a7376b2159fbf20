"""Claims, sections, cell statuses and server events are declared once (parity/verdicts.py CLAIM_TABLE,
parity/sections.py SECTIONS, parity/statuses.py): one more row there reaches the schema, the merge, the gate's words,
the incomplete-run rules, the per-machine report and the renderers' status lists."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from parity import sections, statuses, verdicts
from parity.errors import ParityUsageError
from parity.results_schema import schema, validate

SAMPLE = Path(__file__).parent / "fixtures" / "sample_results.json"


@pytest.fixture
def doc() -> dict:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


@pytest.fixture
def c16(monkeypatch) -> verdicts.Claim:
    """A claim C16 declared the one way a claim is: one row of CLAIM_TABLE."""
    row = verdicts.Claim("C16", "Checkpoints survive a failover", "Survives failover", part="compat")
    monkeypatch.setattr(verdicts, "CLAIM_TABLE", verdicts.CLAIM_TABLE + (row,))
    return row


@pytest.fixture
def team_rows(monkeypatch) -> sections.Section:
    """A section declared the one way a section is: one row of SECTIONS (rows of any shape, written by bench)."""
    row = sections.Section("team_rows", "a team's own timings", part="bench", empty=True, required=False,
                           figures=True, per_machine=True)
    monkeypatch.setattr(sections, "SECTIONS", sections.SECTIONS + (row,))
    return row


def _source(doc: dict, name: str):
    from parity.merge import Source

    return Source(Path(name), doc, doc["schema_version"])


# ---- claims ----------------------------------------------------------------------------------------------

def test_a_claim_row_reaches_the_schema(doc, c16):
    assert schema()["$defs"]["claim_id"]["enum"][-1] == "C16"
    doc["claims"].append({"id": "C16", "verdict": "partly", "reason": "r", "evidence": []})
    validate(doc)
    doc["claims"][-1]["id"] = "C17"  # declared nowhere: refused
    with pytest.raises(ParityUsageError, match=r"claims\[\d+\]\.id"):
        validate(doc)


def test_without_the_row_c16_is_refused(doc):
    doc["claims"].append({"id": "C16", "verdict": "partly", "reason": "r", "evidence": []})
    with pytest.raises(ParityUsageError, match=r"claims\[\d+\]\.id"):
        validate(doc)


def test_a_claim_row_gets_a_verdict_in_a_run_and_in_a_merge(doc, c16):
    from parity.claims import NOT_MEASURED, compute
    from parity.merge import merge

    row = next(r for r in compute(doc) if r["id"] == "C16")
    assert (row["verdict"], row["reason"], row["title"]) == ("not-testable-here", NOT_MEASURED, c16.title), row
    merged = merge([_source(doc, "a")])
    assert [r["id"] for r in merged["claims"]][-1] == "C16", [r["id"] for r in merged["claims"]]
    validate(merged, writing=True)


def test_a_claim_row_reaches_the_gate(c16):
    from parity.gate import parse_policy

    policy = parse_policy({"claims": {"must_not_be": {"C16": ["refuted"]}}})
    assert policy.must_not_be == {"C16": ("refuted",)}
    with pytest.raises(ParityUsageError, match="unknown claim 'C17'.*C15, C16"):
        parse_policy({"claims": {"must_not_be": {"C17": ["refuted"]}}})


def test_a_claim_row_reaches_the_incomplete_run_rules(c16):
    """An errored cell of the claim's part leaves it without a verdict, like the claims declared before it."""
    from parity.incomplete import apply

    doc = {"run": {}, "claims": [{"id": c, "verdict": "confirmed", "reason": "r", "evidence": []}
                                 for c in ("C16", "C1")],
           "cells": [{"id": "compat/test_x.py::test_y[redis-sync]", "backend": "redis", "status": "error",
                      "reason": "fixture broke"}]}
    apply(doc)
    got = {r["id"]: r["verdict"] for r in doc["claims"]}
    assert got == {"C16": "not-testable-here", "C1": "confirmed"}, doc["claims"]


def test_every_claim_names_a_part_that_writes_sections():
    """A claim's part is where its evidence comes from: a part no section belongs to would never demote it."""
    known = set(sections.parts())
    assert {c.part for c in verdicts.CLAIM_TABLE} <= known, [(c.id, c.part) for c in verdicts.CLAIM_TABLE
                                                             if c.part not in known]


# ---- sections --------------------------------------------------------------------------------------------

def test_an_undeclared_section_is_refused_by_the_writer_and_taken_by_a_reader(doc, tmp_path):
    from parity import results

    doc["team_rows"] = [{"x": 1}]
    validate(doc)  # a reader: a newer run's section is no reason to refuse the document
    with pytest.raises(ParityUsageError, match="undeclared section.*'team_rows'.*parity/sections.py.*extensions"):
        results.save(doc, tmp_path)
    assert not (tmp_path / "results.json").exists(), "an invalid document is never written"


def test_a_section_row_reaches_schema_new_document_and_both_merges(doc, team_rows, tmp_path):
    from parity import results
    from parity.merge import merge

    assert schema()["properties"]["team_rows"]["type"] == "array"
    assert results.new_document()["team_rows"] == [], "a section marked empty is in every new document"
    doc["team_rows"] = [{"op": "put", "ms": 1.0}]
    results.save(doc, tmp_path)  # the writer takes it now
    worker = copy.deepcopy(doc)
    results.merge(doc, {"team_rows": [{"op": "get", "ms": 2.0}]})  # an xdist worker's part: rows appended
    assert [r["op"] for r in doc["team_rows"]] == ["put", "get"]
    other = copy.deepcopy(worker)
    other["run"] = {**other["run"], "id": "b"}
    other["machine"] = {**other["machine"], "cpu_model": "Other CPU"}
    merged = merge([_source(worker, "a"), _source(other, "b")])
    assert [(r["op"], r["run"]) for r in merged["team_rows"]] == [("put", worker["run"]["id"]), ("put", "b")]
    assert all("bench" in r["parts"] for r in merged["runs"]), "its rows name the part that wrote them"
    validate(merged, writing=True)


def test_a_section_row_reaches_the_figures_and_the_per_machine_report(team_rows):
    from parity.render.merged import only_run
    from parity.session import ParitySession

    class Fake:
        def __init__(self) -> None:
            self.doc: dict = {}

        def provider_of(self, family):
            return "embedded"

    fake = Fake()
    ParitySession.add(fake, "team_rows", {"family": "redis"})
    assert fake.doc["team_rows"] == [{"family": "redis", "provider": "embedded"}], "a figure row names its provider"
    doc = {"runs": [{"id": "r1"}], "team_rows": [{"run": "r1"}, {"run": "r2"}]}
    assert only_run(doc, "r1")["team_rows"] == [{"run": "r1"}], "per machine: only that run's rows"


def test_every_section_shape_is_in_the_schema_file():
    defs = set(schema()["$defs"])
    assert {s.shape for s in sections.declared() if s.shape} <= defs


def test_the_schema_file_declares_no_section_itself():
    """Sections come from parity/sections.py only: one in the file too would be a second place to keep true."""
    from parity.results_schema import SCHEMA_PATH

    raw = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert not set(raw["properties"]) & set(sections.names()), set(raw["properties"]) & set(sections.names())
    assert not set(raw["required"]) & set(sections.names())
    assert "enum" not in raw["$defs"]["claim_id"] and "pattern" not in raw["$defs"]["claim_id"]


def test_every_section_a_part_writes_is_declared():
    """Every `session.add("NAME", ...)` and `doc["NAME"] = ...` in the suite names a declared section or block."""
    import re

    root = Path(__file__).resolve().parents[1]
    blocks = {"schema_version", "run", "platform", "platforms", "runs", "machine", "versions"}
    found: dict[str, str] = {}
    for path in [*root.glob("parity/**/*.py"), *root.glob("bench/*.py"), *root.glob("compat/*.py"),
                 *root.glob("faults/*.py")]:
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r'session\.add\(\s*"(\w+)"|\bdoc\["(\w+)"\]\s*=(?!=)', text):
            found.setdefault(m.group(1) or m.group(2), str(path.relative_to(root)))
    assert len(found) > 15, f"the scan should see the parts' writes, saw {sorted(found)}"
    unknown = {k: v for k, v in found.items() if k not in set(sections.names()) | blocks}
    assert not unknown, f"written but not declared in parity/sections.py: {unknown}"


def test_every_real_document_passes_the_writers_check():
    """The corpus (real runs of every shape, tests/fixtures/results_corpus/) holds no top-level key the declarations
    miss: what real runs write is declared."""
    import gzip

    from tests.results_corpus import CORPUS

    docs = sorted(CORPUS.glob("*.json.gz"))
    assert len(docs) >= 10, f"the corpus should hold every shape, found {len(docs)}"
    for path in docs:
        doc = json.loads(gzip.decompress(path.read_bytes()))
        try:
            validate(doc, writing=True)
        except ParityUsageError as exc:
            pytest.fail(f"{path.name}: {exc}")


def test_a_combined_section_is_made_by_its_function_not_tagged(doc, monkeypatch):
    """merge="combine": parity merge makes the section again from the merged evidence (parity.merge.COMBINE)."""
    from parity import merge as merge_mod

    row = sections.Section("team_summary", "a team's own summary of the runs", merge="combine", required=False)
    monkeypatch.setattr(sections, "SECTIONS", sections.SECTIONS + (row,))
    assert "team_summary" in sections.combined_sections() and "team_summary" not in sections.tagged_sections()
    doc["team_summary"] = [{"runs": 1}]
    other = copy.deepcopy(doc)
    other["run"] = {**other["run"], "id": "b"}
    with pytest.raises(ValueError, match="'team_summary'.*parity.merge.COMBINE has no function"):
        merge_mod.merge([_source(doc, "a"), _source(other, "b")])
    monkeypatch.setitem(merge_mod.COMBINE, "team_summary", lambda sources, d: [{"runs": len(sources)}])
    merged = merge_mod.merge([_source(doc, "a"), _source(other, "b")])
    assert merged["team_summary"] == [{"runs": 2}], merged["team_summary"]
    validate(merged, writing=True)


def test_every_combined_section_has_its_function_and_no_other():
    from parity.merge import COMBINE

    assert set(COMBINE) == set(sections.combined_sections()), (sorted(COMBINE), sections.combined_sections())


def test_a_section_merge_must_be_one_of_the_known_ways():
    with pytest.raises(ValueError, match="merge must be one of"):
        sections.Section("team_rows", "x", merge="pool")


def test_a_sections_report_decides_which_report_sections_are_drawn_per_machine(monkeypatch):
    """A report.html section is drawn once per machine when every section it shows is per_machine: a new section
    shown there that pools across machines makes it one again; a new per-machine section with a report of its own
    is drawn per machine for the runs that timed it."""
    from parity.render.merged import machine_runs

    doc = {"runs": [{"id": "r1"}, {"id": "r2"}], "ratios": [{"run": "r1"}, {"run": "r2"}],
           "team_rows": [{"run": "r2"}]}
    assert [r["id"] for r in machine_runs(doc, "speed")] == ["r1", "r2"]
    assert machine_runs(doc, "durability") == [] and machine_runs(doc, "team") == []
    timed = sections.Section("team_rows", "a team's timings", part="bench", figures=True, per_machine=True,
                             report="team")
    pooled = sections.Section("team_pooled", "a team's rows over every machine", report="speed")
    monkeypatch.setattr(sections, "SECTIONS", sections.SECTIONS + (timed, pooled))
    assert "speed" not in sections.per_machine_reports() and machine_runs(doc, "speed") == []
    assert [r["id"] for r in machine_runs(doc, "team")] == ["r2"], "the runs that timed what it shows"


def test_every_report_a_section_names_is_one_report_html_draws():
    import re

    from parity.render import html

    drawn = set(re.findall(r'\(\s*"([a-z-]+)", "[A-Z]', Path(html.__file__).read_text(encoding="utf-8")))
    assert {"claims", "speed", "servers", "trend"} <= drawn, drawn  # the scan sees html._sections' ids
    named = {s.report for s in sections.declared() if s.report}
    assert named <= drawn, named - drawn


# ---- statuses and server events ---------------------------------------------------------------------------

@pytest.fixture
def flaky(monkeypatch) -> statuses.Status:
    """A cell status declared the one way a status is: one row of STATUSES."""
    row = statuses.Status("flaky", "matched the reference in some runs only", "~", 1, "failure")
    monkeypatch.setattr(statuses, "STATUSES", statuses.STATUSES + (row,))
    return row


def test_a_status_row_reaches_the_schema_and_the_renderers(doc, flaky, tmp_path):
    from parity import results
    from parity.render.common import status_order, status_counts, worst
    from parity.render.junit import _kind
    from parity.render.tables import compat_grid

    assert schema()["$defs"]["cell_status"]["enum"][-1] == "flaky"
    doc["cells"][0]["status"] = "flaky"
    results.save(doc, tmp_path)  # the writer takes it
    assert worst(["passed", "diverged", "flaky"]) == "flaky", "ranked as declared: worse than a divergence"
    assert status_order(status_counts(doc["cells"]))[-1] == "flaky"
    assert _kind("flaky") == "failure"
    assert '<span class="st st-flaky">~ flaky (1)</span>' in compat_grid(doc), "its mark in the grid's legend"


def test_without_the_row_a_status_is_refused_by_the_writer(doc, tmp_path):
    from parity import results

    doc["cells"][0]["status"] = "flaky"
    with pytest.raises(ParityUsageError, match=r"cells\[0\]\.status"):
        results.save(doc, tmp_path)


def test_a_server_event_row_reaches_the_schema(doc, monkeypatch, tmp_path):
    from parity import results

    doc["server_events"][0]["event"] = "paused"
    with pytest.raises(ParityUsageError, match=r"server_events\[0\]\.event"):
        validate(doc)
    row = statuses.ServerEvent("paused", "SIGSTOPped by someone")
    monkeypatch.setattr(statuses, "SERVER_EVENTS", statuses.SERVER_EVENTS + (row,))
    assert schema()["$defs"]["server_event"]["enum"][-1] == "paused"
    results.save(doc, tmp_path)


def test_the_schema_file_declares_no_status_or_event_itself():
    from parity.results_schema import SCHEMA_PATH

    raw = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))["$defs"]
    assert "enum" not in raw["cell_status"] and "enum" not in raw["server_event"], (raw["cell_status"],
                                                                                    raw["server_event"])


def test_every_status_and_event_the_suite_names_is_declared():
    """The statuses other modules pick out (the gate's failing ones, the spoilable ones, ...) and the events the
    watch reports are rows of parity/statuses.py: a renamed status cannot leave one of them behind."""
    from parity import gate, provider_parity, spoiled
    from parity.judging import claims
    from parity.servers import watch

    named = {*spoiled.SPOILABLE, *gate.FAILING, *claims.DIVERGED, *(s for pair in provider_parity.FLAKY_PAIRS
                                                                     for s in pair)}
    assert named <= set(statuses.names()), named - set(statuses.names())
    judged = provider_parity.JUDGED  # cells' statuses and claims' verdicts
    assert judged <= {*statuses.names(), *verdicts.VERDICTS}, judged - {*statuses.names(), *verdicts.VERDICTS}
    assert watch.EVENTS == statuses.server_events()
