"""The `shadow` section read back: report.html / summary.md show it, `parity gate` limits it, `parity compare` diffs it."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from parity import results
from parity.compare import compare, format_comparison, has_regression
from parity.errors import ParityUsageError
from parity.gate import describe_policy, parse_policy, run_gate
from parity.render.html import render_html
from parity.render.markdown import render_markdown
from parity.results_schema import validate
from parity.shadow import ShadowSaver
from parity.shadow.summary import read_lines, section
from tests.broken_savers import WrongListOrder
from tests.test_shadow_saver import _drive

ROOT = Path(__file__).resolve().parents[1]


def _shadow_doc(tmp_path: Path, candidate) -> dict:
    """A real session (in-memory primary, the given candidate), summarised as `parity shadow summarize` does."""
    with ShadowSaver(InMemorySaver(), candidate, out_dir=tmp_path, read_fraction=1.0, seed=3) as shadow:
        _drive(shadow, threads=2, runs=2)
        shadow.flush(10)
    doc = results.new_document()
    doc["shadow"] = section(read_lines(tmp_path))
    validate(doc)
    return doc


@pytest.fixture
def diverging(tmp_path) -> dict:
    return _shadow_doc(tmp_path / "bad", WrongListOrder())


@pytest.fixture
def agreeing(tmp_path) -> dict:
    return _shadow_doc(tmp_path / "good", InMemorySaver())


def _section(**over) -> dict:
    """A hand-made section with known numbers (latency: primary p50 1 ms, candidate 2 ms; means 1 ms and 1.5 ms)."""
    def hist(p50, mean):
        return {"count": 100, "mean_s": mean, "p50_s_upper": p50, "p99_s_upper": p50 * 4, "buckets_log2_us": {}}
    s = {"recordings": 1, "counts": {"reads_compared": 500, "mirrored_queued": 1000, "mirrored_applied": 990,
                                   "dropped_queue_full": 10},
         "divergences": 0, "divergences_by_op": {}, "divergent_threads": [], "unreliable_threads": 2,
         "unreliable_thread_ids": ["a", "b"],
         "latency": {"primary.put": hist(0.001, 0.001), "candidate.put": hist(0.002, 0.0015)},
         "latency_p50_ratio": {"put": 2.0}, "examples": []}
    s.update(over)
    doc = results.new_document()
    doc["shadow"] = s
    validate(doc)
    return doc


# ---- report ----------------------------------------------------------------------------------------------------

def test_report_shows_divergences_with_thread_op_and_diff(diverging):
    shadow = diverging["shadow"]
    assert shadow["divergences"] > 0, shadow["counts"]
    page = render_html(diverging)
    body = page.split('<section id="shadow">', 1)[1].split("</section>", 1)[0]
    example = shadow["examples"][0]
    assert f"<code>{example['thread']}</code>" in body and f'<span class="tag">{example["op"]}</span>' in body
    assert '<pre class="diff">' in body, "the diff of a divergence is shown"
    assert f"{shadow['divergences']} divergences" in body
    for op in ("put", "get_tuple", "list"):
        assert re.search(rf"<td[^>]*>{op}</td>", body), f"latency row for {op} missing"
    assert "p50 candidate ÷ primary" in body and "mean candidate ÷ primary" in body
    md = render_markdown(diverging)
    assert "### Your traffic: shadow recording" in md and f"thread `{example['thread']}`" in md


def test_report_shows_drops_and_unreliable_threads():
    page = render_html(_section())
    body = page.split('<section id="shadow">', 1)[1].split("</section>", 1)[0]
    assert "10 dropped" in body and "2 thread(s) unreliable" in body
    assert "<code>a</code>, <code>b</code>" in body
    assert "no divergence in the reads compared" in body
    assert "2.00×" in body and "1.50×" in body, "p50 ratio 2 and mean ratio 1.5 shown"


def test_report_without_shadow_section_has_no_shadow_section(agreeing):
    doc = dict(agreeing)
    doc.pop("shadow")
    assert 'id="shadow"' not in render_html(doc)
    assert "shadow" not in render_markdown(doc)


def test_schema_rejects_a_malformed_shadow_section():
    doc = _section()
    doc["shadow"]["divergences"] = -1
    with pytest.raises(ParityUsageError, match=r"shadow\.divergences"):
        validate(doc)


# ---- gate ------------------------------------------------------------------------------------------------------

def test_gate_passes_an_agreeing_recording(agreeing):
    policy = {"shadow": {"max_divergences": 0, "max_dropped": 0, "max_unreliable_threads": 0}}
    assert run_gate(agreeing, policy) == (True, [])


def test_gate_fails_on_divergences_with_the_count(diverging):
    ok, reasons = run_gate(diverging, {"shadow": {"max_divergences": 0}})
    assert not ok
    assert reasons == [f"shadow: {diverging['shadow']['divergences']} divergences in the reads compared (allowed 0)"]


def test_gate_fails_on_drops_unreliable_threads_and_too_few_reads():
    policy = {"shadow": {"max_dropped": 5, "max_unreliable_threads": 1, "min_reads_compared": 1000}}
    ok, reasons = run_gate(_section(), policy)
    assert not ok
    assert reasons == ["shadow: 10 mirrored writes dropped (allowed 5)",
                       "shadow: 2 threads unreliable (a mirrored write dropped) (allowed 1)",
                       "shadow: 500 reads compared, the policy needs at least 1000 (raise read_fraction or run longer)"]


def test_gate_latency_ratio_limits():
    assert run_gate(_section(), {"shadow": {"max_mean_ratio": 1.5, "max_p50_ratio": 2}}) == (True, [])
    ok, reasons = run_gate(_section(), {"shadow": {"max_mean_ratio": 1.2, "max_p50_ratio": 1.0}})
    assert not ok and len(reasons) == 2, reasons
    assert "put candidate ÷ primary p50 (log2-bucket edges) latency 2.00x > 1 (max_p50_ratio)" in reasons[0]
    assert "put candidate ÷ primary mean latency 1.50x > 1.2 (max_mean_ratio)" in reasons[1]
    ok, reasons = run_gate(_section(), {"shadow": {"max_mean_ratio": 9, "ops": ["get_tuple"]}})
    assert reasons == ["shadow: get_tuple was not timed on both sides, max_mean_ratio cannot check it"]


def test_gate_never_passes_on_nothing(agreeing):
    doc = dict(agreeing)
    doc.pop("shadow")
    ok, reasons = run_gate(doc, {"shadow": {"max_divergences": 0}})
    assert not ok and "no shadow section" in reasons[0]
    ok, reasons = run_gate(_section(counts={}), {"shadow": {"max_divergences": 0}})
    assert not ok and reasons == ["shadow: 0 reads compared, the policy needs at least 1 (raise read_fraction or "
                                  "run longer)"]


def test_gate_policy_keys_are_checked():
    with pytest.raises(ParityUsageError, match=r"unknown key \[shadow\]\.max_divergence "):
        parse_policy({"shadow": {"max_divergence": 0}})
    with pytest.raises(ParityUsageError, match=r"\[shadow\]\.max_dropped must be an integer >= 0"):
        parse_policy({"shadow": {"max_dropped": -1}})
    assert describe_policy(parse_policy({"shadow": {"max_divergences": 0, "ops": ["put"]}})) == [
        "shadow: min_reads_compared 1, max_divergences 0 on ops put"]


@pytest.mark.parametrize("path, section", [("examples/gate-policy.toml", "shadow"), ("examples/gate-policy.toml", "replay"),
                                           ("parity/templates/gate-policy.toml", "shadow")])
def test_commented_shadow_examples_are_valid_policy(path, section):
    from parity.gate import tomllib

    text = (ROOT / path).read_text(encoding="utf-8")
    block = []
    for line in text[text.index(f"# [{section}]"):].splitlines():
        if not line.startswith("# ") or (block and line.startswith("# [")):
            break
        block.append(line[2:])
    policy = parse_policy(tomllib.loads("\n".join(block)))
    assert getattr(policy, section), policy


# ---- compare ---------------------------------------------------------------------------------------------------

def _shadow_rows(old, new):
    return [r for r in compare(old, new) if r["kind"] == "traffic"]


def test_compare_identical_recordings_are_unchanged(diverging):
    rows = _shadow_rows(diverging, copy.deepcopy(diverging))
    assert rows and all(r["change"] == "unchanged" for r in rows), rows


def test_compare_first_divergences_are_a_regression(agreeing, diverging):
    rows = _shadow_rows(agreeing, diverging)
    (div,) = [r for r in rows if r["what"] == "divergences per read compared"]
    assert div["change"] == "regression" and div["old"][0] == 0 and div["new"][0] > 0, div
    assert has_regression(rows)
    assert "regressions: 1" in format_comparison(rows) and "shadow divergences per read compared" in format_comparison(rows)
    back = [r for r in _shadow_rows(diverging, agreeing) if r["what"] == "divergences per read compared"]
    assert back[0]["change"] == "improvement"


def test_compare_p50_ratio_moves_only_beyond_the_bucket_resolution():
    old = _section()
    for ratio, change in ((4.0, "unchanged"), (0.5, "unchanged"), (16.0, "regression"), (0.25, "improvement")):
        new = _section(latency_p50_ratio={"put": ratio})
        (row,) = [r for r in _shadow_rows(old, new) if r["what"].startswith("p50 put")]
        assert row["change"] == change, (ratio, row)


def test_compare_drop_rate():
    old = _section()
    new = _section(counts={**old["shadow"]["counts"], "dropped_queue_full": 100})
    (row,) = [r for r in _shadow_rows(old, new) if r["what"].startswith("dropped")]
    assert row["change"] == "regression" and row["old"][0] == pytest.approx(10 / 1010), row


def test_compare_cli_accepts_two_runs_with_only_a_shadow_section(tmp_path, agreeing, diverging, capsys):
    from parity.cli import main

    for name, doc in (("old", agreeing), ("new", diverging)):
        results.save(doc, tmp_path / name)
    assert main(["compare", str(tmp_path / "old"), str(tmp_path / "new")]) == 1
    assert "shadow divergences per read compared" in capsys.readouterr().out


def test_known_divergences_are_labelled_and_the_gate_counts_only_the_others_unless_told(diverging):
    """A shadow whose candidate is a built-in backend gets the compat matrix's reviewed waivers: a divergence they
    explain is labelled (still recorded and counted), and max_divergences counts the rest, as [compat] does."""
    import copy

    doc = copy.deepcopy(diverging)
    doc["shadow"]["divergences_known"] = doc["shadow"]["divergences"] - 1
    ok, reasons = run_gate(doc, {"shadow": {"max_divergences": 0}})
    assert not ok and reasons == [f"shadow: 1 divergences in the reads compared, not counting "
                                  f"{doc['shadow']['divergences_known']} known (allowed 0)"], reasons
    assert run_gate(doc, {"shadow": {"max_divergences": 1}})[0]
    assert not run_gate(doc, {"shadow": {"max_divergences": 1, "allow_known_divergences": False}})[0]


def test_a_known_upstream_divergence_seen_by_the_shadow_is_labelled_with_its_reason():
    """RedisSaver returns a node's error as an unrevived constructor dict (a reviewed known divergence): the mirror
    labels exactly that difference, and not one with anything else in it."""
    from langgraph.checkpoint.redis import RedisSaver

    from parity.judging.trace import Trace
    from parity.shadow.mirror import Mirror
    from parity.shadow.record import Tally

    candidate = RedisSaver.__new__(RedisSaver)  # never called here: only its type names the backend
    mirror = Mirror(candidate, Tally(), None, payload_cap=4096, hash_values=False)
    assert mirror.backend == "redis"
    primary, redis_side = Trace(), Trace()
    primary.add("get_tuple", {"pending_writes": [["t", "__error__", "ValueError('boom')"]]})
    redis_side.add("get_tuple", {"pending_writes": [["t", "__error__", {"lc": 2, "type": "constructor", "id": ["x"]}]]})
    from parity.judging.trace import diff

    known = mirror.explained("get_tuple", diff(primary, redis_side), primary, redis_side)
    assert known and "constructor dict" in known["reason"], known
    other = Trace()
    other.add("get_tuple", {"pending_writes": [["t", "__error__", {"lc": 2, "type": "constructor", "id": ["x"]}],
                                               ["t", "extra", 1]]})
    assert mirror.explained("get_tuple", diff(primary, other), primary, other) is None, "an extra difference is not waived"
