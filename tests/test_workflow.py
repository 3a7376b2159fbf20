"""The CI workflow is valid against GitHub's workflow schema (check-jsonschema's vendored copy, offline)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

WORKFLOW = Path(__file__).resolve().parents[1] / ".github" / "workflows" / "parity.yml"


def test_workflow_matches_github_schema():
    if importlib.util.find_spec("check_jsonschema") is None:
        pytest.skip("check-jsonschema is not installed (pip install -e '.[dev]')")
    done = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                           str(WORKFLOW)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"workflow invalid:\n{done.stdout}\n{done.stderr}"


def test_workflow_covers_the_matrix_and_publishes_the_report():
    if importlib.util.find_spec("ruamel") is None:
        pytest.skip("ruamel.yaml is not installed (it comes with check-jsonschema)")
    from ruamel.yaml import YAML

    flow = YAML(typ="safe").load(WORKFLOW.read_text(encoding="utf-8"))
    job = flow["jobs"]["parity"]
    assert job["strategy"]["matrix"] == {"os": ["ubuntu-latest", "windows-latest"], "python": ["3.11", "3.12"]}
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    for needed in ("make test", "make report", "pip install -e .", "--redis-url \"$PARITY_REDIS_URL\"",
                   "--out reports/ci", "reports/ci/summary.md", "GITHUB_STEP_SUMMARY", "::notice"):
        assert needed in runs, f"workflow lost {needed!r}"
    upload = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    assert upload["with"]["path"] == "reports/" and upload["if"] == "always()"
    secret_env = [s for s in job["steps"] if "PARITY_REDIS_URL" in (s.get("env") or {})]
    assert secret_env and secret_env[0]["env"]["PARITY_REDIS_URL"] == "${{ secrets.PARITY_REDIS_URL }}"
