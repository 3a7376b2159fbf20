"""Real third-party savers from PyPI through the compat matrix: findings compared with a reviewed table, each true one
confirmed by a standalone script; precision and recall from that table are the figures docs/own-saver.md states."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.corpus_savers import CORPUS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "tests" / "fixtures" / "corpus_expected.toml"
CHECKS = ROOT / "compat" / "upstream_checks" / "third_party"
CONTROL = "sqlite-control"


def causes() -> list[dict]:
    return tomllib.loads(TABLE.read_text())["cause"]


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("corpus")
    savers = [a for name, fn in CORPUS.items() for a in ("--parity-saver", f"{name}=tests.corpus_savers:{fn}")]
    cmd = [sys.executable, "-m", "pytest", "compat", "-q", "-p", "no:cacheprovider", "--parity-quick",
           "--ignore=compat/test_generated.py",  # the corpus is judged on the hand-written scenarios
           "--parity-out", str(out), *savers, "--parity-backend", ",".join(CORPUS)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=ROOT, env={**os.environ})
    results = out / "results.json"
    assert results.exists(), f"no results.json; pytest said:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}"
    return json.loads(results.read_text())


def _cell(f: dict) -> str:
    return f"{f['backend']}/{f['flavour']}/{f['scenario']}"


def _sometimes(cause: dict, f: dict) -> bool:
    """Whether a finding is the cause's broken promise on one of its backends (a cell the run's random task ids
    may or may not show: see the table's header)."""
    rule = cause.get("sometimes") or {}
    return f["backend"] in rule.get("backends", ()) and (f.get("contract") or {}).get("name") == rule.get("contract")


def test_corpus_findings_are_exactly_the_reviewed_ones(corpus_run):
    """A finding the table does not hold (new: review it) or a listed one that did not show (missing) fails."""
    reported = Counter(_cell(f) for f in corpus_run["findings"])
    expected = Counter(c for cause in causes() if cause.get("found", True) for c in cause["cells"])
    sometimes = {_cell(f) for f in corpus_run["findings"] if any(_sometimes(c, f) for c in causes())}
    new = sorted(c for c in (reported - expected).elements() if c not in sometimes)
    missing = sorted((expected - reported).elements())
    summaries = {_cell(f): f["summary"] for f in corpus_run["findings"]}
    assert not new and not missing, (f"new findings (not in {TABLE.name}): {[(c, summaries[c]) for c in new]}; "
                                     f"missing: {missing}")


def test_every_corpus_saver_ran_and_the_control_is_clean(corpus_run):
    status: dict[str, Counter] = {}
    for c in corpus_run["cells"]:
        status.setdefault(c["backend"], Counter())[c["status"]] += 1
    for name in CORPUS:  # a saver whose cells all skipped (not installed, no server) would hide every finding
        assert status.get(name, Counter())["passed"] >= 15, f"{name}: {dict(status.get(name, {}))}"
    assert set(status[CONTROL]) <= {"passed", "not-applicable"}, dict(status[CONTROL])


def test_each_true_finding_is_confirmed_by_its_standalone_script(redis_url):
    scripts = sorted({c["check"] for c in causes() if c["verdict"] == "true"})
    assert len(scripts) >= 5 and all((CHECKS / s).exists() for s in scripts), scripts
    procs = {s: subprocess.Popen([sys.executable, str(CHECKS / s), redis_url], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, cwd=CHECKS) for s in scripts}
    failed = {}
    for script, proc in procs.items():
        out, _ = proc.communicate(timeout=120)
        if proc.returncode != 0:
            failed[script] = out[-600:]
    assert not failed, failed


def test_the_checks_are_standalone_and_short():
    for script in CHECKS.glob("check_*.py"):
        text = script.read_text()
        assert len(text.splitlines()) <= 30, f"{script.name}: {len(text.splitlines())} lines"
        assert "parity" not in text.replace("parity-check", ""), f"{script.name} uses suite code"


def precision_recall() -> str:
    """docs/own-saver.md's sentence, computed from the reviewed table (which the run must match, see above)."""
    table = causes()
    reported = [c for c in table if c.get("found", True)]
    cells = sum(len(c["cells"]) for c in reported)
    true_cells = sum(len(c["cells"]) for c in reported if c["verdict"] == "true")
    true_causes = [c for c in table if c["verdict"] == "true"]
    found = [c for c in true_causes if c.get("found", True)]
    return (f"precision {true_cells}/{cells} finding cells ({sum(c['verdict'] == 'true' for c in reported)}/"
            f"{len(reported)} root causes), recall {len(found)}/{len(true_causes)} known true root causes")


def test_the_docs_state_the_measured_precision_and_recall():
    line = precision_recall()
    assert line in (ROOT / "docs" / "own-saver.md").read_text(), f"docs/own-saver.md should say: {line}"
