"""Behaviour kept across refactors: a compat run compared cell by cell with one made before the code moved.

tests/fixtures/equivalence_baseline.json is the summary of a run at commit 1527aa4 (before issue 11's moves) of
the deterministic subset below; racy savers (sync redis, postgres-shallow: upstream interrupt-write races, see
known_divergences.toml) are left out so a difference means the harness changed, not the weather. Regenerate it
only for a deliberate behaviour change: `python tests/test_equivalence.py RUN_DIR > tests/fixtures/...`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "equivalence_baseline.json"
# The baseline predates compat/test_generated.py (its cells have their own tests: tests/test_generated.py).
ARGS = ("run", "--only", "compat", "--quick", "--workload", "none", "--history", "none",
        "--backend", "memory,sqlite,redis-shallow,postgres", "-k", "not test_generated")
FINDING_FIELDS = ("id", "claim", "summary", "seen", "runs", "known", "workload", "partly_explained")
IGNORED_VERSIONS = ("checkpoint-parity",)


def summary(doc: dict) -> dict:
    """What must not change: each cell's status, each finding, each verdict, and what they ran against."""
    return {
        "environment": environment(doc),
        "cells": {c["id"]: c["status"] for c in doc["cells"]},
        "findings": {"/".join((f["backend"], f["flavour"], f["loop"] or "-", f["scenario"])):
                     {k: f.get(k) for k in FINDING_FIELDS} for f in doc["findings"]},
        "verdicts": {c["id"]: c["verdict"] for c in doc["claims"]},
    }


def environment(doc: dict) -> dict:
    """The run's libraries, Python and servers: a baseline only speaks for the same ones."""
    servers = {s["family"]: [s.get("version"), sorted((s.get("probe") or {}).get("modules") or [])]
               for s in doc["servers"]}
    versions = {k: v for k, v in doc["versions"].items() if k not in IGNORED_VERSIONS}
    return {"python": doc["machine"]["python"], "versions": versions, "servers": servers}


# 22 s on a quiet machine: in CI's longer job.
@pytest.mark.ci_long
def test_a_compat_run_matches_the_pre_refactor_baseline(tmp_path):
    from conftest import run_cli

    baseline = json.loads(FIXTURE.read_text())
    modules = sorted({key.split("::")[0].rsplit("/", 1)[-1].removesuffix(".py") for key in baseline["cells"]})
    out = run_cli(*ARGS, "-k", " or ".join(modules), "--out", str(tmp_path), timeout=300)  # the baseline's files only
    assert (tmp_path / "results.json").exists(), out.stderr[-2000:]
    doc = json.loads((tmp_path / "results.json").read_text())
    unexplained = [c["id"] for c in doc["cells"] if c["status"] == "not-applicable" and not c.get("not_applicable")]
    assert not unexplained, f"not-applicable cells without structured reasons: {unexplained[:5]}"
    kinds = {r["kind"] for c in doc["cells"] for r in c.get("not_applicable", [])}
    assert {"capability", "platform", "selection"} <= kinds, f"expected capability, platform and selection reasons, got {kinds}"
    now = summary(doc)
    if now["environment"] != baseline["environment"]:
        changed = [k for k in baseline["environment"] if baseline["environment"][k] != now["environment"].get(k)]
        pytest.skip(f"the baseline was made with other {', '.join(changed)}: {now['environment']} here")
    # Scenarios added since the baseline add cells and findings; every cell and finding of a scenario it knows
    # must be as it was, and none may be gone.
    known = {key.split("::")[1].split("[")[0] for key in baseline["cells"]}
    for part in ("cells", "findings", "verdicts"):
        old, new = baseline[part], now[part]
        keys = set(old) | {k for k in new if part == "verdicts" or _scenario(k) in known}
        changed = {k: (old.get(k), new.get(k)) for k in sorted(keys) if old.get(k) != new.get(k)}
        assert not changed, f"{part} differ from the baseline (key: (before, after)): {dict(list(changed.items())[:5])}"


def _scenario(key: str) -> str:
    """The scenario of a cell id (module::test[params]) or a finding key (backend/flavour/loop/scenario)."""
    return key.split("::")[1].split("[")[0] if "::" in key else key.rsplit("/", 1)[-1]


if __name__ == "__main__":
    print(json.dumps(summary(json.loads((Path(sys.argv[1]) / "results.json").read_text())), indent=1, sort_keys=True))
