"""`parity gate`: a policy passes a good run, fails a bad one with one-line reasons, and rejects bad policy files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from parity.errors import ParityUsageError
from parity.gate import describe_policy, load_policy, parse_policy, run_gate

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "sample_results.json"
EXAMPLE = ROOT / "examples" / "gate-policy.toml"


@pytest.fixture
def doc() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture
def good(doc) -> dict:
    """The sample run, repaired so that it meets the example policy."""
    for cell in doc["cells"]:
        if cell["status"] in ("diverged", "failed", "error"):
            cell.update(status="passed", reason="", finding_ids=[])
    for ratio in doc["ratios"]:
        ratio["ci_low"] = max(ratio["ci_low"], 1.01)
        ratio["median"] = max(ratio["median"], 1.05)
        ratio["ci_high"] = max(ratio["ci_high"], 1.1)
    return doc


def test_example_policy_passes_a_good_run(good):
    ok, reasons = run_gate(good, load_policy(EXAMPLE))
    assert (ok, reasons) == (True, [])


def test_example_policy_fails_the_sample_run_with_one_line_reasons(doc):
    ok, reasons = run_gate(doc, load_policy(EXAMPLE))
    assert not ok
    assert all("\n" not in r for r in reasons), reasons
    text = "\n".join(reasons)
    assert "test_state_history_order[redis-async-uvloop] is diverged" in text
    assert "test_thread_expires_whole[redis-async-uvloop] is failed" in text
    assert "put async 1KiB durable (fsync every write) postgres÷redis: CI low 0.97x < 1" in text
    assert "postgres" not in " ".join(r for r in reasons if r.startswith("compat:")), "only redis cells are gated"
    assert "known-divergence" not in text, "known divergences are allowed by the example policy"


def test_known_divergences_fail_when_not_allowed(good):
    ok, reasons = run_gate(good, {"compat": {"backends": ["redis"], "allow_known_divergences": False}})
    assert not ok and sum("is known-divergence" in r for r in reasons) == 3


def test_scenario_subset(good, doc):
    policy = {"compat": {"backends": ["redis"], "scenarios": ["interrupts.resume_after_interrupt"]}}
    assert run_gate(doc, policy) == (True, [])
    policy["compat"]["scenarios"].append("no.such_scenario")
    ok, reasons = run_gate(doc, policy)
    assert not ok and reasons == ["compat: scenario no.such_scenario has no cells for backends redis"]


def test_nothing_measured_does_not_pass(doc):
    doc["cells"], doc["ratios"], doc["durability"], doc["claims"] = [], [], [], []
    ok, reasons = run_gate(doc, load_policy(EXAMPLE))
    assert not ok
    assert any("no cells" in r for r in reasons)
    assert any("no ratio rows for put" in r for r in reasons)
    assert any("no crash test for redis AOF always" in r for r in reasons)
    assert any("C12 has no verdict" in r for r in reasons)


def test_durability_and_claims_checks(good):
    good["durability"][0]["lost"] = 3
    good["claims"][11]["verdict"] = "refuted"
    ok, reasons = run_gate(good, load_policy(EXAMPLE))
    assert not ok
    assert reasons == ["durability: redis AOF always lost 3 of 500 acknowledged writes after kill (allowed 0)",
                       "claims: C12 is refuted (policy: must not be refuted)"]


def test_generic_ratio_rule(good):
    policy = {"performance": {"ratio": [{"op": "list", "flavour": "sync", "payload": "1KiB", "min_median": 5.0}]}}
    ok, reasons = run_gate(good, policy)
    assert not ok and len(reasons) == 1 and "list sync 1KiB interleaved postgres÷redis: median 1.05x < 5" in reasons[0]


def test_a_ratio_rule_can_name_the_backend_pair(good):
    rule = {"op": "list", "flavour": "sync", "payload": "1KiB", "min_median": 5.0}
    ok, reasons = run_gate(good, {"performance": {"ratio": [dict(rule, pair="postgres/redis")]}})
    assert not ok and len(reasons) == 1, reasons
    ok, reasons = run_gate(good, {"performance": {"ratio": [dict(rule, pair="postgres-shallow/redis-shallow")]}})
    assert not ok and reasons == ["performance: no ratio rows for list (flavour=sync, payload=1KiB, "
                                  "pair=postgres-shallow/redis-shallow) in this run ([[performance.ratio]] #1)"], reasons
    with pytest.raises(ParityUsageError, match="pair"):
        parse_policy({"performance": {"pair": "redis", "min_put_ratio_ci_low": 1}})


def test_describe_policy_lists_every_check():
    lines = describe_policy(load_policy(EXAMPLE))
    assert lines[0] == "compat: no divergence on redis, known divergences allowed"
    assert any(line.startswith("ratio put (pair=postgres/redis): CI low >= 1") for line in lines), lines
    assert "claim C12 must not be refuted" in lines


BAD_POLICIES = {
    "not TOML": ("[compat\nbackends = ", "is not valid TOML"),
    "unknown section": ("[perf]\nmin_put_ratio_ci_low = 1.0\n", "unknown section [perf]"),
    "unknown key": ("[compat]\nbackend = ['redis']\n", "unknown key [compat].backend"),
    "wrong type list": ("[compat]\nbackends = 'redis'\n", "[compat].backends must be a list of strings"),
    "wrong type bool": ("[compat]\nallow_known_divergences = 'yes'\n", "must be true or false"),
    "wrong type number": ("[performance]\nmin_put_ratio_ci_low = '1.0'\n", "must be a number"),
    "negative count": ("[durability]\nbackend = 'redis'\nmax_lost = -1\n", "must be an integer >= 0"),
    "durability incomplete": ("[durability]\nsettings = 'appendfsync always'\n", "needs backend"),
    "bad fault": ("[durability]\nbackend = 'redis'\nmax_lost = 0\nfault = 'oom'\n", "fault must be"),
    "unknown verdict": ("[claims]\nmust_not_be = { C12 = ['wrong'] }\n", "unknown verdict 'wrong'"),
    "unknown claim": ("[claims]\nmust_not_be = { C16 = ['refuted'] }\n", "unknown claim 'C16'"),
    "ratio without op": ("[[performance.ratio]]\nmin_ci_low = 1.0\n", "needs op"),
    "ratio without bound": ("[[performance.ratio]]\nop = 'put'\n", "needs min_ci_low or min_median"),
    "ratio unknown key": ("[[performance.ratio]]\nop = 'put'\nmin_low = 1\n",
                          "unknown key [[performance.ratio]] #1.min_low"),
    "ratio bad flavour": ("[[performance.ratio]]\nop = 'put'\nflavour = 'threads'\nmin_ci_low = 1\n",
                          "flavour must be"),
    "section not a table": ("compat = 3\n", "[compat] must be a table"),
    "empty": ("", "no checks configured"),
}


@pytest.mark.parametrize("case", sorted(BAD_POLICIES))
def test_bad_policy_is_one_clear_line(case, tmp_path):
    text, expected = BAD_POLICIES[case]
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParityUsageError) as info:
        load_policy(path)
    message = str(info.value)
    assert "\n" not in message, f"expected one line, got {message!r}"
    assert expected in message, f"expected {expected!r} in {message!r}"
    assert str(path) in message, "the message names the policy file"


def test_missing_policy_file(tmp_path):
    with pytest.raises(ParityUsageError, match=r"policy file .*nope\.toml does not exist"):
        load_policy(tmp_path / "nope.toml")


def test_policy_dict_is_checked_like_a_file():
    with pytest.raises(ParityUsageError, match="unknown key"):
        parse_policy({"compat": {"backendz": []}})


def test_only_not_applicable_cells_or_nothing_acknowledged_do_not_pass():
    doc = {"cells": [{"id": "c", "backend": "redis", "scenario": "s", "status": "not-applicable"}],
           "durability": [{"backend": "redis", "settings": "AOF always", "fault": "kill", "acknowledged": 0,
                           "lost": 0, "unresumable": 0}], "ratios": [], "claims": []}
    policy = parse_policy({"compat": {"backends": ["redis"]},
                           "durability": {"backend": "redis", "settings": "AOF always", "max_lost": 0}})
    ok, reasons = run_gate(doc, policy)
    assert not ok
    assert any("no cells ran" in r for r in reasons) and any("nothing was tested" in r for r in reasons), reasons
