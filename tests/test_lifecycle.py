"""One lifecycle for results.json: derived, passed through pytest_parity_update_json, validated and saved once by
the writer; `parity run` renders from the document in memory, never reloading or validating it again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import ROOT

from parity import results


def _team_run(tmp_path: Path, hook: str) -> tuple[subprocess.CompletedProcess, Path]:
    """Plain pytest in a team's folder: its conftest.py implements the hook, one test runs, parity writes results."""
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "conftest.py").write_text(textwrap.dedent(hook))
    (tmp_path / "team" / "test_team.py").write_text("def test_ok(parity_session):\n    assert parity_session\n")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "team",
                           "--parity-out", str(out), "--parity-backend", "memory"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    return proc, out


def test_a_conftest_hook_adds_its_section_before_the_one_save(tmp_path):
    proc, out = _team_run(tmp_path, """
        def pytest_parity_update_json(config, doc):
            # what the team's section may read: the rows, and the derived verdicts (computed before the hook)
            doc.setdefault("extensions", {})["team"] = {"claims": len(doc["claims"]), "args": list(config.args)}
        """)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    doc = results.read(out)  # and it validates as saved
    assert doc["extensions"]["team"] == {"claims": len(doc["claims"]), "args": ["team"]}, doc.get("extensions")
    assert doc["extensions"]["team"]["claims"] > 0, "the hook runs after the claims are derived"


def test_a_hook_writing_an_undeclared_section_is_one_line_and_no_document(tmp_path):
    proc, out = _team_run(tmp_path, """
        def pytest_parity_update_json(config, doc):
            doc["team_notes"] = ["measured on staging"]
        """)
    assert proc.returncode == 4, proc.stdout[-2000:] + proc.stderr[-2000:]  # pytest's usage error (parity run: 2)
    assert "undeclared section(s) 'team_notes'" in proc.stderr and "extensions" in proc.stderr, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr[-2000:]
    assert not (out / "results.json").exists(), "an invalid document is never written"


DRIVER = """
import sys
from parity import results, results_schema

validated = []
real_validate = results_schema.validate


def counting(doc, writing=False):
    validated.append("writer" if writing else "reader")
    return real_validate(doc, writing)


def no_reload(*args, **kwargs):
    raise AssertionError("results.json was loaded again after the run saved it")


results_schema.validate = counting
results.load = results.read = no_reload
from parity.cli import main

code = main(sys.argv[1:])
print("VALIDATED", ",".join(validated))
sys.exit(code)
"""


def test_parity_run_validates_once_and_renders_from_memory(tmp_path):
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    out, history = tmp_path / "run", tmp_path / "history.jsonl"
    proc = subprocess.run([sys.executable, str(driver), "run", "--only", "compat", "-k", "smoke", "--workload", "none",
                           "--backend", "memory", "--out", str(out), "--history", str(history)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "VALIDATED writer\n" in proc.stdout, f"expected one validation, by the writer: {proc.stdout[-800:]}"
    assert (out / "report.html").stat().st_size > 0 and "report:" in proc.stdout
    doc = json.loads((out / "results.json").read_text())
    assert "history" in doc, "the trend is saved with the run (added before the one save)"
    assert [json.loads(line)["run_id"] for line in history.read_text().splitlines()] == [doc["run"]["id"]], \
        "the run joins its history once, after the save"
