"""Family and backend names are open strings: a document written with a plugin family (one not installed here)
loads, validates, renders, compares and merges like any other (issue 30, item 3).

The documents are the corpus's real runs with the Redis family renamed to a plugin's name throughout (its servers,
backends, cells, rows and keys), so every section a real run writes carries the unknown name.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from parity import families
from tests.results_corpus import CORPUS
from tests.test_results_corpus import POLICY, parity

PLUGIN = "keyvaluedb"  # a family no installed package registers (asserted below)
DOCS = ("compat-quick", "bench-quick-a", "bench-quick-b")


def renamed(value: Any) -> Any:
    """Every "redis" name (family, backend "redis-shallow", event key "redis_forks") as the plugin's."""
    if isinstance(value, dict):
        return {renamed(k): renamed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [renamed(v) for v in value]
    if isinstance(value, str) and (value == "redis" or value.startswith(("redis-", "redis_"))):
        return PLUGIN + value[len("redis"):]
    return value


@pytest.fixture(scope="module")
def plugin_runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("plugin-family")
    out = {}
    for name in DOCS:
        doc = json.loads(gzip.decompress((CORPUS / f"{name}.json.gz").read_bytes()))
        assert any(s.get("family") == "redis" for s in doc.get("servers", [])), f"{name} has no Redis server to rename"
        (root / name).mkdir()
        (root / name / "results.json").write_text(json.dumps(renamed(doc)))
        out[name] = root / name
    return out


def test_the_plugin_is_not_installed_here():
    assert PLUGIN not in families.names(), f"{PLUGIN} is registered here: the test would not show an unknown family"


@pytest.mark.parametrize("name", DOCS)
def test_a_plugin_family_document_loads_validates_and_renders(name, plugin_runs, capsys):
    from parity import results
    from parity.results_schema import validate

    doc = results.load(plugin_runs[name])
    validate(doc)  # the schema names no family: an unknown one is not refused
    assert {s["family"] for s in doc["servers"]} >= {PLUGIN}, doc["servers"]
    code, out, err = parity(capsys, "report", str(plugin_runs[name] / "results.json"))
    assert code == 0 and "report:" in out, (code, out, err)
    html = next(plugin_runs[name].glob("*.html")).read_text()
    assert PLUGIN in html, "the report shows the plugin family's cells and servers"
    code, out, err = parity(capsys, "gate", str(plugin_runs[name]), "--policy", str(POLICY))
    assert code in (0, 1) and "gate: " in out, (code, out, err)


def test_a_plugin_family_document_compares(plugin_runs, capsys):
    code, out, err = parity(capsys, "compare", str(plugin_runs["bench-quick-a"]), str(plugin_runs["bench-quick-b"]))
    assert code in (0, 1) and "compared: " in out, (code, out, err)
    assert PLUGIN in out, f"the comparison names the plugin family's backends:\n{out}"


def test_a_plugin_family_document_merges(plugin_runs, capsys, tmp_path):
    code, out, err = parity(capsys, "merge", str(plugin_runs["compat-quick"]), str(plugin_runs["bench-quick-a"]),
                            "--out", str(tmp_path / "merged"))
    assert code == 0, (code, out, err)
    merged = json.loads((tmp_path / "merged" / "results.json").read_text())
    assert PLUGIN in {s["family"] for s in merged["servers"]}, merged["servers"]
    assert any(c["backend"] == PLUGIN for c in merged["cells"]), "the merged document keeps the plugin's cells"
