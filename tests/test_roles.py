"""Roles, not names (issue 30): --pair decides every comparison of two backends, and parity/ names no backend."""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from parity import roles
from parity.errors import ParityUsageError
from parity.options import Options

ROOT = Path(__file__).resolve().parents[1]
# At most this many literal backend or family names outside parity/families/, in at most this many modules: the
# defaults (parity/roles.py), nothing else.
MAX_LITERALS, MAX_MODULES = 10, 3
# Modules still naming a backend, with the literal names each holds now. A ratchet: a module may only go down, and
# an entry whose module is clean must be removed, so the list ends empty and the limits above are the test.
# backends/builtin.py declares the two built-in savers that belong to no server family (memory, sqlite), as a family
# package declares its own (REFERENCE = "memory", SQLITE = "sqlite": a name each, used through the constant).
PENDING = {"parity/backends/builtin.py": 2}

# Literals that spell a name but mean something else, per module, with why: not counted, and an entry whose literal is
# gone must be removed (so an allowance cannot outlive its reason).
NOT_NAMES: dict[tuple[str, str], str] = {}


def _names() -> set[str]:
    from parity import families
    from parity.backends.registry import default_registry

    return ({"redis", "postgres", "redis-shallow", "postgres-shallow"} | set(default_registry().names())
            | set(families.names()))


def all_literal_names() -> dict[str, list[tuple[int, str]]]:
    """module -> [(line, name)] of every string literal under parity/ (not parity/families/) equal to a name."""
    names = _names()
    out: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for path in sorted((ROOT / "parity").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("parity/families/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names:
                out[rel].append((node.lineno, node.value))
    return dict(out)


def literal_names() -> dict[str, list[tuple[int, str]]]:
    """module -> [(line, name)] of every string literal under parity/ (not parity/families/) equal to a name, but
    those NOT_NAMES allows."""
    return {m: kept for m, hits in all_literal_names().items()
            if (kept := [(line, name) for line, name in hits if (m, name) not in NOT_NAMES])}


def test_every_allowance_still_has_its_literal():
    found = all_literal_names()
    stale = [key for key in NOT_NAMES if key[1] not in {name for _, name in found.get(key[0], [])}]
    assert not stale, f"no such literal any more, remove from NOT_NAMES: {stale}"


def test_no_backend_or_family_named_outside_the_families_beyond_the_defaults():
    found = literal_names()
    over = {m: hits for m, hits in found.items() if len(hits) > PENDING.get(m, 0) and m in PENDING}
    clean = sorted(m for m in PENDING if m not in found)
    rest = {m: hits for m, hits in found.items() if m not in PENDING}
    where = "; ".join(f"{m}: " + ", ".join(f"{line} {name!r}" for line, name in sorted(hits))
                      for m, hits in sorted({**over, **rest}.items()))
    assert not over, f"more names than before in a module still being cleaned (PENDING): {where}"
    assert not clean, f"clean now, remove from PENDING: {clean}"
    count = sum(len(h) for h in rest.values())
    assert count <= MAX_LITERALS and len(rest) <= MAX_MODULES, (
        f"{count} literal backend/family names in {len(rest)} modules (at most {MAX_LITERALS} in {MAX_MODULES}): "
        f"{where}; name a role (parity.roles) or a declared capability instead")


def test_the_count_sees_a_name_and_a_constant_branching_on_it(tmp_path, monkeypatch):
    """The guard can fail: a module with `REDIS = "redis"` and a branch on it is counted."""
    fake = tmp_path / "parity" / "x.py"
    fake.parent.mkdir()
    fake.write_text('REDIS = "redis"\ndef f(b):\n    return b.family == REDIS or b.name == "postgres-shallow"\n')
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert literal_names() == {"parity/x.py": [(1, "redis"), (3, "postgres-shallow")]}


def test_default_pairs_and_repeatable_option():
    assert Options.from_values(lambda name: None).pairs == list(roles.DEFAULT)
    assert [p.spec for p in roles.DEFAULT] == ["postgres:redis", "postgres-shallow:redis-shallow"]
    given = Options.from_values({"pairs": ["postgres:sqlite", "sqlite:memory,postgres:sqlite"]}.get).pairs
    assert given == [roles.Pair("postgres", "sqlite"), roles.Pair("sqlite", "memory")], given


@pytest.mark.parametrize("value, says", [
    ("postgres", "is not INCUMBENT:CANDIDATE"), ("postgres:", "is not INCUMBENT:CANDIDATE"),
    ("a:b:c", "is not INCUMBENT:CANDIDATE"), ("redis:redis", "with itself"), ("postgres:nope", "unknown backend 'nope'"),
])
def test_bad_pairs_are_refused_in_the_one_validation(value, says):
    with pytest.raises(ParityUsageError, match=says):
        Options.from_values({"pairs": [value]}.get)


def test_a_pair_outside_the_selected_backends_is_bad_input():
    with pytest.raises(ParityUsageError, match="sqlite is not among --backend"):
        Options.from_values({"pairs": ["postgres:sqlite"], "backends": ["postgres,redis"]}.get)


def test_bad_pair_on_the_command_line_is_one_line_and_exit_2(capsys):
    from parity.cli import main

    code = main(["run", "--quick", "--only", "bench", "--pair", "postgres:nope"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "unknown backend 'nope'" in err, (code, err)


def test_a_document_without_pairs_judged_the_defaults():
    assert roles.of({}) == list(roles.DEFAULT)
    assert roles.of({"run": {"pairs": [{"incumbent": "postgres", "candidate": "sqlite"}]}}) == \
        [roles.Pair("postgres", "sqlite")]


def _ratio(numer: str, denom: str, median: float, op: str = "put") -> dict:
    return {"op": op, "op_kind": "write", "payload": "1KB", "flavour": "sync", "loop": None, "pairing": "defaults",
            "numerator": numer, "denominator": denom, "median": median, "ci_low": median * 0.9,
            "ci_high": median * 1.1, "repeat": 1}


def test_ratio_claims_follow_the_pair():
    """C1 reads incumbent÷candidate of the document's pairs and says which pair it judged."""
    from parity.measuring import claims

    rows = [_ratio("postgres", "redis", 20.0), _ratio("postgres", "sqlite", 2.0)]
    default = claims.c1({"ratios": rows})
    assert default["verdict"] == "confirmed" and default["pairs"][0] == "postgres -> redis", default
    other = claims.c1({"ratios": rows, "run": {"pairs": [{"incumbent": "postgres", "candidate": "sqlite"}]}})
    assert other["verdict"] == "refuted" and other["pairs"] == ["postgres -> sqlite"], other
    assert "postgres÷sqlite" in other["reason"] and "redis" not in other["reason"], other["reason"]


def test_a_fault_study_on_no_candidate_says_so():
    from parity.injecting import claims

    doc = {"faults": [{"claim": "C7", "backend": "redis", "saver_error": "x", "preflight": "y", "observed": "z"}],
           "run": {"pairs": [{"incumbent": "postgres", "candidate": "sqlite"}]}}
    row = next(r for r in claims.verdicts(doc) if r["id"] == "C7")
    assert row["verdict"] == "not-testable-here" and "no pair of this run has as its candidate" in row["reason"], row
    doc["run"]["pairs"][0]["candidate"] = "redis"
    assert next(r for r in claims.verdicts(doc) if r["id"] == "C7")["verdict"] == "confirmed"


def test_latency_pairs_follow_the_option():
    from types import SimpleNamespace

    from parity.measuring.latency import ratio_pairs

    b = {n: SimpleNamespace(name=n) for n in ("postgres", "redis", "sqlite", "memory")}
    assert [(p.name, r.name) for p, r in ratio_pairs(list(b.values()), roles.DEFAULT)] == [("postgres", "redis")]
    asked = [roles.Pair("postgres", "sqlite"), roles.Pair("sqlite", "memory")]
    assert [(p.name, r.name) for p, r in ratio_pairs(list(b.values()), asked)] == \
        [("postgres", "sqlite"), ("sqlite", "memory")]


def test_the_opening_and_colours_follow_the_pair():
    from parity.render import charts, opening

    backends = [{"name": n, "origin": "built-in"} for n in ("memory", "postgres", "sqlite")]
    doc = {"run": {"backends": backends, "pairs": [{"incumbent": "postgres", "candidate": "sqlite"}]}}
    assert opening.is_guide_run(doc) and opening.short_title(doc) == "postgres → sqlite", opening.title(doc)
    assert not opening.is_guide_run({"run": {"backends": backends}}), "the default pair was not asked"
    assert opening.short_title({}) == "Postgres → Redis", "an old document: the guide's pair"
    pairs = roles.of(doc)
    assert charts.colour_for("sqlite", 0, pairs) == charts.PALETTES["candidate"][0]
    assert charts.colour_for("postgres", 0, pairs) == charts.PALETTES["incumbent"][0]
    assert charts.colour_for("redis", 0, pairs) not in charts.PALETTES["candidate"], "redis plays no role here"
