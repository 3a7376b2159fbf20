"""Every consumer of results.json (report, gate, compare, merge) on every real document the suite writes, and on every
pair: a result, or one line saying why those two cannot be used together and exit 2; never a traceback.

The documents are real runs (tests/results_corpus.py, `make results-corpus`); a schema change regenerates them."""

from __future__ import annotations

import gzip
import itertools
import json
import warnings
from pathlib import Path

import pytest

from parity.cli import main
from tests.results_corpus import CORPUS, MANIFEST, MISSING, schema_hash

POLICY = Path(__file__).resolve().parents[1] / "examples" / "gate-policy.toml"
DOCS = sorted(json.loads(MANIFEST.read_text())["documents"]) if MANIFEST.exists() else []


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """Each stored document unpacked into a run directory of its own, as `parity run` leaves it."""
    root = tmp_path_factory.mktemp("corpus")
    out = {}
    for name in DOCS:
        (root / name).mkdir()
        (root / name / "results.json").write_bytes(gzip.decompress((CORPUS / f"{name}.json.gz").read_bytes()))
        out[name] = root / name
    return out


def parity(capsys, *argv: str) -> tuple[int, str, str]:
    """`parity ARGV` in this process; any exception escaping it is the traceback a user would see."""
    code = main(list(argv))
    captured = capsys.readouterr()
    if code == 2:
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("parity"), f"exit 2 must say why in one line: {captured.err!r}"
    return code, captured.out, captured.err


def test_the_corpus_holds_every_shape_and_validates_against_the_current_schema(runs):
    """A document the current schema refuses means the corpus is stale: `make results-corpus`. A schema that
    changed but still takes every document (a section added) is said as a warning: the corpus then lacks what
    the change added until it is remade."""
    from parity import results
    from parity.results_schema import validate

    manifest = json.loads(MANIFEST.read_text())
    for name, path in runs.items():
        try:
            validate(results.load(path))
        except Exception as exc:  # the schema's own one-line error
            pytest.fail(f"{name}: {exc}; the schema changed since the corpus was made: run `make results-corpus`")
    if manifest["schema_sha256_16"] != schema_hash():
        warnings.warn("the results schema (its file, or the sections and claims declared in Python) changed since "
                      "the corpus was made (every document still "
                      "validates): run `make results-corpus` so the corpus holds what the change added")
    shapes = {"bench-quick-a", "bench-quick-b", "bench-standard", "bench-full", "bench-slowed", "calibration",
              "compat-quick", "faults-quick", "check",
              "shadow-a", "replay-a", "merged"}
    assert shapes <= set(DOCS), f"missing from the corpus: {sorted(shapes - set(DOCS))}"
    assert set(MISSING) == set(manifest["missing"]), "the manifest names the shapes the corpus lacks"


@pytest.mark.parametrize("name", DOCS)
def test_report_and_gate_on_every_document(name, runs, capsys, tmp_path):
    code, out, _ = parity(capsys, "report", str(runs[name] / "results.json"))
    assert code == 0 and "report:" in out
    code, out, _ = parity(capsys, "gate", str(runs[name]), "--policy", str(POLICY))
    assert code in (0, 1) and ("gate: passed" in out or "gate: failed" in out), out


@pytest.mark.parametrize("old, new", [*((d, d) for d in DOCS), *itertools.permutations(DOCS, 2)])
def test_compare_on_every_pair(old, new, runs, capsys):
    code, out, err = parity(capsys, "compare", str(runs[old]), str(runs[new]))
    assert code in (0, 1, 2), (code, out, err)
    if code != 2:
        assert out.startswith("compared: ") or "compared: " in out, out


@pytest.mark.parametrize("a, b", [*((d, d) for d in DOCS), *itertools.combinations(DOCS, 2)])
def test_merge_on_every_pair(a, b, runs, capsys, tmp_path, monkeypatch):
    # The merged document is validated against the schema as always; its report is not rendered for each of the
    # pairs (seconds each): `parity report` renders the corpus's real merged document in the test above.
    from parity.cli import merge as merge_cli

    monkeypatch.setattr(merge_cli, "render_dir", lambda out, doc: doc)
    code, out, err = parity(capsys, "merge", str(runs[a]), str(runs[b]), "--out", str(tmp_path / "merged"))
    assert code in (0, 2), (code, out, err)
    if a == b:  # the same run twice (or a merged document given again) is refused
        assert code == 2 and ("same run" in err or "already a merged document" in err), err
