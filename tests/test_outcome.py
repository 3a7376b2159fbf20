"""The exit-code contract, the run's opening, the one cell id form, and what a run writes outside its folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from parity import cell_ids, user_cache
from parity.cli import outcome
from parity.console import root_cause_lines, summary_lines
from parity.errors import ParityUsageError
from parity.render import opening


def _cell(status: str, backend: str = "redis", flavour: str = "async", loop: str | None = "uvloop", **kw) -> dict:
    matrix = cell_ids.matrix_id(backend, flavour, loop)
    return {"id": f"compat/test_x.py::test_x[{matrix}]", "scenario": "test_x", "backend": backend,
            "flavour": flavour, "loop": loop, "status": status, **kw}


def test_evidence_exits_0_whatever_it_found_and_1_only_for_fail_on():
    doc = {"cells": [_cell("passed"), _cell("diverged", backend="postgres"), _cell("known-divergence")]}
    assert outcome.matched(doc, []) == []
    assert outcome.matched(doc, ["failed"]) == []  # a divergence is a finding, not a cell that could not run
    [line] = outcome.matched(doc, ["diverged"])
    assert line.startswith("1 cell(s) diverged") and "test_x[postgres-async-uvloop]" in line, line
    doc = {"cells": [_cell("passed"), _cell("error")], "run": {"failed_tests": [{"id": "bench/test_b.py::t",
                                                                                "phase": "call", "reason": "x"}]}}
    [line] = outcome.matched(doc, ["failed", "diverged"])
    assert "1 cell(s) and 1 other test(s) could not run" in line, line
    assert outcome.decide(doc, []) == outcome.OK and outcome.decide(doc, ["failed"]) == outcome.FAILED


def test_replay_fail_on():
    replay = {"targets": [{"backend": "redis", "diverged_threads": ["t1"], "errored_threads": []}]}
    assert outcome.decide({"replay": replay}, []) == 0
    assert outcome.decide({"replay": replay}, ["failed"]) == 0
    assert outcome.decide({"replay": replay}, ["diverged"]) == 1


def test_one_cell_id_form():
    assert cell_ids.matrix_id("redis", "async", "uvloop") == "redis-async-uvloop"
    assert cell_ids.matrix_id("redis", "sync", None) == "redis-sync" == cell_ids.matrix_id("redis", "sync", "-")
    assert cell_ids.name("compat/test_x.py::test_x[redis-sync]") == "test_x[redis-sync]"
    finding = {"id": "abc123", "backend": "redis", "flavour": "sync", "loop": None, "scenario": "test_y"}
    assert cell_ids.of_finding(finding) == "test_y[redis-sync]"  # an older document: composed, never the hash
    cell = "compat/t.py::test_y[redis-sync]"
    assert cell_ids.of_finding({**finding, "cell": cell}) == cell


def _finding(summary: str, cell: str, known=None) -> dict:
    return {"id": cell[-6:], "backend": "redis", "flavour": "async", "loop": "uvloop", "scenario": "test_x",
            "summary": summary, "diff": "", "seen": 1, "runs": 1, "known": known, "cell": cell}


def test_console_counts_root_causes_and_names_cells_by_their_id(tmp_path):
    findings = [_finding("put raised ValueError", "c::test_a[redis-async-uvloop]"),
                _finding("put raised ValueError", "c::test_b[redis-async-uvloop]"),
                _finding("lost interrupt", "c::test_c[redis-sync]", known={"reason": "upstream"})]
    lines = root_cause_lines({"findings": findings}, tmp_path)
    assert lines[0] == "root causes: 1 new (2 cells), 1 known divergences (1 cells)", lines
    assert "redis: put raised ValueError" in lines[1] and "c::test_a[redis-async-uvloop] and 1 more" in lines[2]
    (tmp_path / "failures.txt").write_text("x")
    doc = {"run": {"parts": {"compat": {"seconds": 12.4, "tests": 30}}}, "cells": [_cell("passed")],
           "findings": findings}
    text = "\n".join(summary_lines(doc, tmp_path, 7))
    assert "parts: compat 12 s (30 tests)" in text and "cells: 1 passed" in text, text
    assert f"full diffs and tracebacks: {tmp_path / 'failures.txt'}" in text, text


def test_a_run_of_other_savers_opens_with_what_was_asked():
    guide = {"run": {"backends": [{"name": n, "origin": "built-in", "family": f, "flavours": ["sync", "async"]}
                                  for n, f in (("memory", None), ("redis", "redis"), ("postgres", "postgres"))]}}
    assert opening.is_guide_run(guide) and "migration guide" in opening.title(guide)
    mine = {"run": {"backends": [{"name": "memory", "origin": "built-in", "family": None},
                                 {"name": "mysaver", "origin": "my.mod:make", "family": "redis",
                                  "flavours": ["sync"]}]},
            "cells": [_cell("passed", backend="mysaver"), _cell("diverged", backend="mysaver")]}
    assert not opening.is_guide_run(mine)
    assert opening.title(mine) == "mysaver: the same as the in-memory reference?"
    lines = opening.asked_lines(mine)
    assert lines[0] == "asked: memory (the reference), mysaver (my.mod:make; sync)", lines
    assert "found on mysaver: 1 passed, 1 diverged" in lines, lines
    from parity.render.markdown import render_markdown

    assert "Postgres → Redis" not in render_markdown(mine) and "asked: " in render_markdown(mine)


def test_nothing_outside_the_run_folder(tmp_path, monkeypatch):
    from hypothesis import configuration

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HYPOTHESIS_STORAGE_DIRECTORY", "")  # restored after the test, as is Hypothesis's home:
    monkeypatch.setattr(configuration, "__hypothesis_home_directory",  # this process's own tests use Hypothesis
                        getattr(configuration, "__hypothesis_home_directory"))
    assert user_cache.history() == tmp_path / "cache" / "checkpoint-parity" / "history.jsonl"
    args = user_cache.keep_out_of_cwd([])
    assert args == [f"--benchmark-storage=file://{tmp_path / 'cache' / 'checkpoint-parity' / 'benchmarks'}"]
    import os

    home = tmp_path / "cache" / "checkpoint-parity" / "hypothesis-home"
    assert os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] == str(home)
    assert user_cache.keep_out_of_cwd(["--benchmark-storage=file:///x"]) == []  # the user's own place wins
    from parity import history

    history.append({"run": {"id": "r1"}})
    assert len(history.load()) == 1 and user_cache.history().is_file()


def test_the_out_check_creates_nothing(tmp_path):
    from parity.cli.run import writable

    writable(tmp_path / "a" / "b")
    assert not (tmp_path / "a").exists()
    (tmp_path / "file").write_text("")
    with pytest.raises(ParityUsageError, match="is not a folder"):
        writable(tmp_path / "file" / "run")
    assert Path(tmp_path / "file").is_file()
