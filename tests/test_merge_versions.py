"""A run on the lowest supported versions and one on the newest (CI's .ci/lowest-versions.sh and make test's venv), of
one machine, merge as different evidence: a platform per versions, named with the versions that differ, in the grid,
in each claim's verdicts and in each finding's platforms. The same versions twice is still one run twice: refused.

The runs are real (the corpus's `parity check` run, tests/fixtures/results_corpus/); the floor run is that document with
its versions edited here (one langgraph is installed here), which is all the merge reads of them.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from parity.cli import main
from tests.results_corpus import CORPUS

FLOOR = {"langgraph": "1.0.6", "langgraph-checkpoint": "4.3.0"}  # .ci/lowest-versions.txt's


def _write(path: Path, doc: dict) -> Path:
    path.mkdir()
    (path / "results.json").write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.fixture
def pair(tmp_path) -> tuple[Path, Path, dict]:
    newest = json.loads(gzip.decompress((CORPUS / "check.json.gz").read_bytes()))
    floor = json.loads(json.dumps(newest))
    floor["versions"].update(FLOOR)
    floor["run"]["id"] += "-floor"
    return _write(tmp_path / "newest", newest), _write(tmp_path / "floor", floor), newest


def _read(out: Path) -> dict:
    return json.loads((out / "results.json").read_text(encoding="utf-8"))


def test_a_floor_run_and_a_newest_run_merge_with_a_platform_per_versions(pair, tmp_path, capsys):
    newest_dir, floor_dir, newest = pair
    out = tmp_path / "merged"
    assert main(["merge", str(newest_dir), str(floor_dir), "--out", str(out)]) == 0, capsys.readouterr()
    said = capsys.readouterr().out
    doc = _read(out)
    here = {k: newest["versions"][k] for k in FLOOR}
    assert [p["versions"] for p in doc["platforms"]] == [here, FLOOR], doc["platforms"]
    labels = [p["label"] for p in doc["platforms"]]
    assert labels[1] == f"{newest['platform']['label']} · langgraph 1.0.6, langgraph-checkpoint 4.3.0", labels
    assert f"merged 2 runs ({labels[0]}, {labels[1]})" in said, said
    ids = [p["id"] for p in doc["platforms"]]
    assert len(set(ids)) == 2 and [c["platform"] for c in doc["cells"]] == \
        [ids[0]] * len(newest["cells"]) + [ids[1]] * len(newest["cells"])
    assert doc["versions"]["langgraph"] == f"{here['langgraph']} | 1.0.6", doc["versions"]
    assert doc["versions"]["langgraph-checkpoint-redis"] == newest["versions"]["langgraph-checkpoint-redis"]
    # Each finding both runs saw is one finding seen on both platforms; each claim is judged per versions.
    assert len(doc["findings"]) == len(newest["findings"]) > 0
    assert all(sorted(f["platforms"]) == sorted(ids) for f in doc["findings"]), doc["findings"]
    c5 = next(c for c in doc["claims"] if c["id"] == "C5")
    assert sorted((b["platform"], b["decided"]) for b in c5["by_platform"]) == sorted((i, True) for i in ids), c5
    assert "langgraph 1.0.6" in c5["reason"], c5["reason"]
    html = (out / "report.html").read_text(encoding="utf-8")
    head = html[html.index('<table class="grid">'):html.index("</thead>", html.index('<table class="grid">'))]
    assert head.count(f">Linux 3.11 langgraph {here['langgraph']}<") == head.count(">Linux 3.11 langgraph 1.0.6<") \
        == len({(c["backend"], c["flavour"], c["loop"]) for c in newest["cells"]}), "a column per cell and versions"
    assert labels[1] in (out / "summary.md").read_text(encoding="utf-8")
    policy = Path(__file__).resolve().parents[1] / "examples" / "gate-policy.toml"
    assert main(["gate", str(out), "--policy", str(policy)]) in (0, 1), "the gate reads the merged document"


def test_the_same_versions_twice_is_one_run_twice(pair, tmp_path, capsys):
    newest_dir, _, newest = pair
    again = json.loads(json.dumps(newest))
    again["run"]["id"] += "-again"
    twin = _write(tmp_path / "again", again)
    assert main(["merge", str(newest_dir), str(twin), "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is in both" in err[0] and "merge each cell once" in err[0], err


def test_a_library_only_one_run_has_is_a_version_that_differs(pair, tmp_path, capsys):
    """A saver's distribution installed in one venv only: the platforms say so rather than merge the cells."""
    newest_dir, _, newest = pair
    other = json.loads(json.dumps(newest))
    other["run"]["id"] += "-without"
    del other["versions"]["langgraph-checkpoint-redis"]
    without = _write(tmp_path / "without", other)
    assert main(["merge", str(newest_dir), str(without), "--out", str(tmp_path / "m")]) == 0, capsys.readouterr()
    blocks = _read(tmp_path / "m")["platforms"]
    assert [b["versions"] for b in blocks] == [
        {"langgraph-checkpoint-redis": newest["versions"]["langgraph-checkpoint-redis"]},
        {"langgraph-checkpoint-redis": "not installed"}], blocks
