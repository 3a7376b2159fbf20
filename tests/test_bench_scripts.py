"""The repeatability checks in bench/ (scripts a team runs, not timed tests): their judgement on given figures."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _script(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _doc(put: list[float], lst: list[float], profile: str = "quick") -> dict:
    ratios = []
    for op, medians in (("put", put), ("list_10", lst)):
        for k, m in enumerate(medians, 1):
            ratios.append({"op": op, "payload": "1KB", "flavour": "sync", "loop": None, "pairing": "defaults",
                           "numerator": "postgres", "denominator": "redis", "layout": "split CPUs, pinned",
                           "median": m, "ci_low": m * 0.98, "ci_high": m * 1.02, "repeat": k})
    doc = {"run": {"profile": profile}, "ratios": ratios, "noise": [], "measurements": []}
    from parity.measuring.repeatability import derive

    doc["repeatability"] = derive(doc)
    return doc


def _judge(tmp_path, a: dict, b: dict, capsys) -> tuple[int, str]:
    pa, pb = tmp_path / "a.json", tmp_path / "b.json"
    pa.write_text(json.dumps(a)), pb.write_text(json.dumps(b))
    code = _script("repeatability").main(["--compare", str(pa), str(pb)])
    return code, capsys.readouterr().out


def test_issue_18s_conditions_pass_with_a_wide_list_ratio_printed_beside_them(tmp_path, capsys):
    code, out = _judge(tmp_path, _doc([0.80, 0.84], [0.50, 0.60]), _doc([0.81, 0.83], [0.52, 0.58]), capsys)
    assert code == 0, out
    assert "own repeats of the put ratio worst 5.0%" in out
    assert "own repeats of any headline ratio worst 20.0% (list_10[1KB]" in out and "a NOISY RUN" in out


def test_a_put_ratio_that_moved_within_a_run_fails(tmp_path, capsys):
    code, out = _judge(tmp_path, _doc([0.80, 0.90], [0.50, 0.51]), _doc([0.84, 0.85], [0.50, 0.51]), capsys)
    assert code == 1 and "NOT repeatable within ±10%" in out, out


def test_a_ratio_that_moved_between_runs_fails(tmp_path, capsys):
    code, out = _judge(tmp_path, _doc([0.80, 0.81], [0.50, 0.51]), _doc([0.80, 0.81], [0.60, 0.61]), capsys)
    assert code == 1 and "between runs: worst 19.8% (list_10[1KB]" in out, out


def test_unreadable_results_are_one_line_and_exit_2(tmp_path, capsys):
    code = _script("repeatability").main(["--compare", str(tmp_path / "none.json"), str(tmp_path / "none.json")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "give two results.json" in err, err


def test_noise_floor_cuts_rounds_into_windows_and_spaces_triples_like_repeats():
    nf = _script("noise_floor")
    # rounds 0.1 s apart: numerator 2 ms, denominator 1 ms, except a slow stretch where the numerator is 3 ms
    rounds = [(0.1 * i + 0.05, [3_000_000 if 20 <= i < 30 else 2_000_000] * 3, [1_000_000] * 3) for i in range(200)]
    v = nf.windows(rounds, 1.0)
    assert len(v) == 19 and v[:4] == [2.0, 2.0, 3.0, 2.0], v  # the last window, cut short, is left out
    triples = nf.spaced_triples(v)
    assert len(triples) == len(v) - 2 * nf.SPACING and triples[0] == 0.0 and triples[2] == 0.5, triples


def test_noise_floor_refuses_too_short_a_run_in_one_line(capsys):
    code = _script("noise_floor").main(["--seconds", "5"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "too short" in err, err


def _corpus_file(tmp_path, name: str) -> str:
    import gzip

    from tests.results_corpus import CORPUS

    path = tmp_path / f"{name}.json"
    path.write_bytes(gzip.decompress((CORPUS / f"{name}.json.gz").read_bytes()))
    return str(path)


def test_regression_e2e_judges_three_real_runs(tmp_path, capsys):
    """Issue 28's end-to-end decisions on real runs (two same-code quick runs and a +30% Redis put): whatever this
    runner's noise made of them, each failed decision is one FAIL line of the three kinds, and the exit says it."""
    runs = [_corpus_file(tmp_path, n) for n in ("bench-quick-a", "bench-quick-b", "bench-slowed")]
    code = _script("regression_e2e").main(["--judge", *runs])
    out = capsys.readouterr().out
    assert "== the two same-code runs" in out and "== redis put +30%" in out
    fails = [line for line in out.splitlines() if line.startswith("FAIL: ")]
    turned = [line for line in fails if "TURNED OVER" in line]
    assert code == (3 if turned else 1 if fails else 0), out
    assert "clean b: headline " in out and "of a CPU, steal " in out, out  # each run's windows, to read a FAIL by
    kinds = ("same-code runs: ", "redis put +30% not flagged", "flagged but unrelated to put: ",
             "compare exits 0 on the slowed run", "claim C")
    assert all(line[len("FAIL: "):].startswith(kinds) for line in fails), fails


def test_regression_e2e_names_a_claim_whose_verdict_turned(tmp_path):
    import copy

    from parity import results

    a = results.load(_corpus_file(tmp_path, "bench-quick-a"))
    b = copy.deepcopy(a)
    c1 = next(c for c in b["claims"] if c["id"] == "C1")
    c1["verdict"] = "refuted" if c1["verdict"] != "refuted" else "confirmed"
    e2e = _script("regression_e2e")
    lines = e2e.verdicts(a, b)
    assert len(lines) == 1 and lines[0].startswith("claim C1: "), lines
    # A verdict turned over is the suite's defect, not the runner's noise: exit 3, which CI's job fails on (exit 1,
    # a finding about the runner, it reports).
    next(c for c in a["claims"] if c["id"] == "C1")["verdict"] = "confirmed"
    c1["verdict"] = "refuted"
    assert e2e.judge_runs(a, b, a) == 3
