"""Many runners, one report: the compat matrix unsharded, as 3 shards and under pytest-xdist gives the same cells;
`parity merge` joins shards and platforms, refuses what cannot be one report, and the report shows platforms side by
side with the platform that decided each verdict (checked in headless Chromium).

Real runs of memory + redis-shallow (--parity-quick): cells whose statuses do not change between runs here. The
full `redis` saver has an upstream race (sync RedisSaver loses an __interrupt__ write, in known_divergences.toml)
that flips a few of its cells between any two runs, sharded or not, so it cannot prove equality.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from parity import merge as merge_mod
from parity.cli import main
from parity.judging.invariants import by_chance
from parity.layout import suite

# Generated findings' shrunk diffs depend on the seed and shrink time; runs compared cell by cell leave them out.
MATRIX = ["--parity-quick", "--parity-backend=memory,redis-shallow", "--ignore=compat/test_generated.py"]


def _pytest(out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pytest", "compat", "-q", "-p", "no:cacheprovider", *MATRIX,
                             f"--parity-out={out}", *extra], cwd=suite().root, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _finish(proc: subprocess.Popen) -> str:
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode in (0, 1), f"pytest exited {proc.returncode}:\n{out[-3000:]}"  # 1: diverged cells fail
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """One serial run, its 3 shards and an xdist run, all at once (as separate CI runners would)."""
    base = tmp_path_factory.mktemp("runs")
    dirs = {name: base / name for name in ("all", "s1", "s2", "s3", "xdist")}
    procs = {"all": _pytest(dirs["all"]), "xdist": _pytest(dirs["xdist"], "-n", "2")}
    procs.update({f"s{k}": _pytest(dirs[f"s{k}"], f"--parity-shard={k}/3") for k in (1, 2, 3)})
    logs = {name: _finish(p) for name, p in procs.items()}
    dirs["logs"] = logs  # type: ignore[assignment]
    return dirs


def _doc(path: Path) -> dict:
    return json.loads((path / "results.json").read_text(encoding="utf-8"))


def _chance_cells(*docs: dict) -> set[str]:
    """Cells carrying, in any of the runs, a breach that shows by chance (invariants.Rule.by_chance)."""
    return {c["id"] for d in docs for c in d["cells"] for f in d["findings"]
            if f["id"] in (c.get("finding_ids") or []) and by_chance(f)}


def _steady(a: dict, b: dict) -> tuple[dict[str, str], dict[str, str]]:
    """Both runs' statuses, minus the cells a by-chance breach may flip between any two runs."""
    skip = _chance_cells(a, b)
    return tuple({k: v for k, v in _statuses(d).items() if k not in skip} for d in (a, b))  # type: ignore


def _steady_findings(doc: dict, other: dict) -> set[str]:
    """doc's finding ids, minus those of cells a by-chance breach may flip (either run's)."""
    skip = _chance_cells(doc, other)
    flipping = {fid for c in doc["cells"] if c["id"] in skip for fid in c.get("finding_ids") or []}
    return {f["id"] for f in doc["findings"] if f["id"] not in flipping and not by_chance(f)}


def _statuses(doc: dict) -> dict[str, str]:
    return {c["id"]: c["status"] for c in doc["cells"]}


def test_three_shards_merge_into_the_unsharded_run(runs, tmp_path, capsys):
    serial = _doc(runs["all"])
    shards = [_doc(runs[f"s{k}"]) for k in (1, 2, 3)]
    records = [d["run"]["shard"] for d in shards]
    assert [r["index"] for r in records] == [1, 2, 3] and len({r["plan"] for r in records}) == 1, records
    assert {r["cells_total"] for r in records} == {len(serial["cells"])}, (records, len(serial["cells"]))
    sizes = [len(d["cells"]) for d in shards]
    assert sum(sizes) == len(serial["cells"]) and max(sizes) - min(sizes) <= 1, sizes
    assert "shard 2/3: " in runs["logs"]["s2"] and "run whole in shard 1/3" in runs["logs"]["s2"]

    out = tmp_path / "merged"
    assert main(["merge", *(str(runs[f"s{k}"]) for k in (3, 1, 2)), "--out", str(out)]) == 0, capsys.readouterr()
    merged = _doc(out)
    steady_merged, steady_serial = _steady(merged, serial)
    assert steady_merged == steady_serial and len(steady_serial) > len(serial["cells"]) // 2
    assert _steady_findings(merged, serial) == _steady_findings(serial, merged)
    assert {c["id"]: c["verdict"] for c in merged["claims"]} == {c["id"]: c["verdict"] for c in serial["claims"]}
    junit = (out / "junit.xml").read_text(encoding="utf-8")
    assert junit.count("<testcase ") == len(serial["cells"])
    assert (out / "report.html").exists() and (out / "summary.md").exists()


def test_xdist_statuses_equal_the_serial_run(runs):
    xdist, serial = _steady(_doc(runs["xdist"]), _doc(runs["all"]))
    assert xdist == serial and len(serial) > len(_doc(runs["all"])["cells"]) // 2
    assert not (runs["xdist"] / ".parts").exists(), "worker parts must be folded in and removed"


def _refusal(capsys, *argv: str) -> str:
    assert main(["merge", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_merge_refuses_what_cannot_be_one_report(runs, tmp_path, capsys):
    s1, s2, s3, out = str(runs["s1"]), str(runs["s2"]), str(runs["s3"]), str(tmp_path / "m")
    assert "missing shards: shard 3/3 on Linux" in _refusal(capsys, s1, s2, "--out", out)
    assert "same run" in _refusal(capsys, s1, s1, s2, s3, "--out", out)
    assert "is in both" in _refusal(capsys, s1, s2, s3, str(runs["all"]), "--out", out)
    assert "one of the runs being merged" in _refusal(capsys, s1, s2, s3, "--out", s1)
    other = tmp_path / "other-version"
    shutil.copytree(runs["s3"], other)
    doc = _doc(other)
    doc["run"]["suite_version"] = doc["versions"]["checkpoint-parity"] = "0.0.1"
    (other / "results.json").write_text(json.dumps(doc))
    assert "different suite version" in _refusal(capsys, s1, s2, str(other), "--out", out)
    doc = _doc(runs["s3"])
    doc["schema_version"] = 1
    (other / "results.json").write_text(json.dumps(doc))
    assert "different schema" in _refusal(capsys, s1, s2, str(other), "--out", out)
    twin = tmp_path / "twin"
    shutil.copytree(runs["s2"], twin)
    doc = _doc(twin)
    doc["run"]["id"] += "-copy"
    (twin / "results.json").write_text(json.dumps(doc))
    assert "duplicate shard 2/3" in _refusal(capsys, s1, s2, str(twin), s3, "--out", out)


def test_partial_merge_says_so_at_the_top(runs, tmp_path, capsys):
    out = tmp_path / "partial"
    assert main(["merge", str(runs["s1"]), str(runs["s3"]), "--out", str(out), "--allow-partial"]) == 0
    assert "PARTIAL: missing shard 2/3" in capsys.readouterr().out
    doc = _doc(out)
    assert doc["run"]["partial"]["missing"] == ["shard 2/3 on Linux · CPython 3.11 · x86_64"] or \
        doc["run"]["partial"]["missing"][0].startswith("shard 2/3 on ")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.index('class="partial"') < html.index("<h1>"), "the partial banner must come first"
    assert (out / "summary.md").read_text(encoding="utf-8").startswith("> **⚠️ PARTIAL RESULTS")
    assert 'name="run.partial"' in (out / "junit.xml").read_text(encoding="utf-8")


def fake_platform(src: Path, dst: Path, python: str) -> Path:
    """A copy of a REAL run with only its platform block changed (this machine has one Python): the merge cannot
    tell, and the test says so."""
    shutil.copytree(src, dst)
    doc = _doc(dst)
    from parity.platforms import make

    block = doc["platform"]
    doc["platform"] = make(block["os"], python, block["implementation"], block["arch"])
    doc["run"]["id"] += "-as-" + python
    (dst / "results.json").write_text(json.dumps(doc))
    return dst


def test_two_platforms_side_by_side_with_attributed_verdicts(runs, tmp_path, capsys):
    other = fake_platform(runs["xdist"], tmp_path / "py312", "3.12")  # real xdist run, platform block faked
    out = tmp_path / "platforms"
    assert main(["merge", str(runs["all"]), str(other), "--out", str(out)]) == 0, capsys.readouterr()
    doc = _doc(out)
    ids = [p["id"] for p in doc["platforms"]]
    assert len(ids) == 2 and len(doc["cells"]) == 2 * len(_doc(runs["all"])["cells"])
    # Same diff on both platforms: one finding naming both. A breach that shows by chance (the pending-writes
    # order against random task ids: invariants.Rule.by_chance) may be in one run only, and so may the other
    # findings of the cells it flips; those name the platform they were seen on.
    a, b = _doc(runs["all"]), _doc(runs["xdist"])
    steady = _steady_findings(a, b) & _steady_findings(b, a)
    assert steady == _steady_findings(a, b) == _steady_findings(b, a)
    for finding in doc["findings"]:
        assert finding["platforms"] and (finding["id"] not in steady or sorted(finding["platforms"]) == sorted(ids)), \
            finding["id"]
    assert steady <= {f["id"] for f in doc["findings"]}
    c5 = next(c for c in doc["claims"] if c["id"] == "C5")
    assert [b["decided"] for b in c5["by_platform"]] == [True, True], c5
    assert "decided on Linux · CPython 3.11 · x86_64" in c5["reason"] and "CPython 3.12" in c5["reason"]

    html = (out / "report.html").read_text(encoding="utf-8")
    head = html[html.index('<table class="grid">'):html.index("</thead>", html.index('<table class="grid">'))]
    assert head.count(">Linux 3.11<") == head.count(">Linux 3.12<") > 0, "each cell column once per platform"
    assert html.count('class="by-platform"') >= 3  # C4, C5, C12 list both platforms
    import xml.etree.ElementTree as ET

    names = [case.get("name") for case in ET.parse(out / "junit.xml").iter("testcase")]
    assert len(names) == len(set(names)) == len(doc["cells"]), "junit names must stay unique across platforms"


def test_findings_keep_the_versions_of_each_run_they_were_seen_in(runs, tmp_path, capsys):
    """A run on the lowest supported langgraph merged with one on the installed: each finding names the library
    versions it was seen on, both sets where both runs saw it (the other run is a REAL run with its platform and
    versions faked: one Python and one langgraph here)."""
    other = fake_platform(runs["xdist"], tmp_path / "low", "3.12")
    doc = _doc(other)
    low = {"langgraph": "1.0.6", "langgraph-checkpoint": "4.3.0"}
    doc["versions"].update(low)
    for finding in doc["findings"]:
        assert finding["versions"] and finding["versions"][0]["langgraph"] == _doc(runs["xdist"])["versions"]["langgraph"]
        finding["versions"] = [{**v, **low} for v in finding["versions"]]
    (other / "results.json").write_text(json.dumps(doc))
    same_platform = tmp_path / "low-here"  # the same cells on this very platform: a platform per versions
    shutil.copytree(runs["xdist"], same_platform)
    here = _doc(same_platform)
    here["versions"].update(low)
    here["run"]["id"] += "-low"
    (same_platform / "results.json").write_text(json.dumps(here))
    assert main(["merge", str(runs["all"]), str(same_platform), "--out", str(tmp_path / "here")]) == 0, \
        capsys.readouterr()
    assert [p["versions"]["langgraph"] for p in _doc(tmp_path / "here")["platforms"]] == \
        [_doc(runs["all"])["versions"]["langgraph"], "1.0.6"]
    out = tmp_path / "versions"
    assert main(["merge", str(runs["all"]), str(other), "--out", str(out)]) == 0, capsys.readouterr()
    merged = _doc(out)
    a, b = _doc(runs["all"]), _doc(runs["xdist"])
    steady = _steady_findings(a, b) & _steady_findings(b, a)
    assert steady, "the runs share findings (redis-shallow's known divergences)"
    for finding in merged["findings"]:
        langgraphs = sorted(v["langgraph"] for v in finding["versions"])
        saver = {k for v in finding["versions"] for k in v} - {"langgraph", "langgraph-checkpoint"}
        assert saver == {"langgraph-checkpoint-redis"}, (finding["backend"], finding["versions"])  # redis-shallow's
        if finding["id"] in steady:
            assert langgraphs == sorted([a["versions"]["langgraph"], "1.0.6"]), (finding["id"], finding["versions"])
    summary = (out / "summary.md").read_text(encoding="utf-8")
    both = f"versions: langgraph {a['versions']['langgraph']}, langgraph-checkpoint {a['versions']['langgraph-checkpoint']}, " \
           f"langgraph-checkpoint-redis {a['versions']['langgraph-checkpoint-redis']}; langgraph 1.0.6, langgraph-checkpoint 4.3.0, "
    assert both in summary, "a finding both runs saw names both sets, the first run's first"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert f'<p class="versions">{both}' in html


def test_the_browser_shows_platforms_side_by_side_and_who_decided(runs, tmp_path, capsys):
    from parity.render.screenshot import chromium, find_browser, screenshot

    browser = find_browser()
    if browser is None:
        pytest.skip("no headless browser found; apt-get install -y chromium")
    other = fake_platform(runs["all"], tmp_path / "py312", "3.12")  # real run, platform block faked (one Python here)
    out = tmp_path / "platforms"
    assert main(["merge", str(runs["all"]), str(other), "--out", str(out)]) == 0, capsys.readouterr()
    dom = chromium(browser, "--dump-dom", (out / "report.html").as_uri()).stdout
    assert 'data-charts-rendered=' in dom and "data-js-errors" not in dom[:dom.index("<head")]
    grid = dom[dom.index('<table class="grid">'):]
    assert grid.index(">Linux 3.11<") < grid.index(">Linux 3.12<") < grid.index("</thead>")
    claims = dom[dom.index('<table class="claims">'):dom.index("</table>", dom.index('<table class="claims">'))]
    c5 = claims[claims.index("<th>C5</th>"):claims.index("<th>C6</th>")]
    assert c5.count("decided: ") == 2 and "CPython 3.11" in c5 and "CPython 3.12" in c5, "C5: both platforms decided"
    c4 = claims[claims.index("<th>C4</th>"):claims.index("<th>C5</th>")]
    assert c4.count('class="undecided"') == 2, "C4: neither Linux platform can decide the Proactor half"
    shot = screenshot(out / "report.html", tmp_path / "merged.png", size="1400,2400")
    assert shot is not None and shot.stat().st_size > 20_000


# ---- verdicts over merged evidence, from rows (no runs needed) ------------------------------------------------

def _cell(platform: str, backend: str, loop: str, status: str, flavour: str = "async") -> dict:
    return {"id": f"compat/test_x.py::test_x[{backend}-{flavour}-{loop}]", "scenario": "test_x", "backend": backend,
            "flavour": flavour, "loop": loop, "status": status, "reason": "", "duration_s": 0.1,
            "platform": platform, "run": platform}


def _merged_doc(cells: list[dict], **sections) -> dict:
    from parity.platforms import make
    from parity.sections import row_sections

    linux, windows = make("Linux", "3.11", "CPython", "x86_64"), make("Windows", "3.12", "CPython", "AMD64")
    doc = {"run": {"id": "m", "merged": True}, "platforms": [linux, windows], "runs": [], **{s: [] for s in row_sections()}}
    doc.update(cells=cells, **sections)
    return doc


def test_part_names_of_source_keys_exist():
    from parity.claims import PARTS, SOURCE_KEY

    assert set(SOURCE_KEY) <= set(PARTS), f"SOURCE_KEY names a part that is not in PARTS: {set(SOURCE_KEY) - set(PARTS)}"


def test_c4_takes_its_proactor_half_from_windows_and_says_so():
    from parity.claims import compute_by_source

    lin, win = "linux-cpython3.11-x86_64", "windows-cpython3.12-x86_64"
    cells = [_cell(lin, "redis", "selector", "passed"), _cell(lin, "postgres", "selector", "passed"),
             _cell(lin, "redis", "proactor", "not-applicable"), _cell(lin, "postgres", "proactor", "not-applicable"),
             _cell(win, "redis", "selector", "passed"), _cell(win, "postgres", "selector", "passed"),
             _cell(win, "redis", "proactor", "passed"), _cell(win, "postgres", "proactor", "failed"),
             _cell(lin, "redis", "selector", "passed", "sync"), _cell(win, "redis", "proactor", "passed", "sync")]
    claims = {c["id"]: c for c in compute_by_source(_merged_doc(cells))}
    c4 = claims["C4"]
    assert c4["verdict"] == "confirmed", c4
    assert [(b["platform"], b["decided"]) for b in c4["by_platform"]] == [(lin, False), (win, True)]
    assert c4["reason"].startswith("decided on Windows · CPython 3.12 · x86_64: confirmed"), c4["reason"]
    c5 = claims["C5"]  # both platforms ran redis async cells under their own default loop
    assert {(b["platform"], b["decided"]) for b in c5["by_platform"]} == {(lin, True), (win, True)}


def test_benchmark_verdicts_stay_per_machine():
    from parity.claims import compute_by_source

    ratio = {"op": "put", "op_kind": "write", "flavour": "sync", "payload": "1KiB", "pairing": "defaults",
             "numerator": "postgres", "denominator": "redis", "ci_low": 2.0, "ci_high": 3.0, "median": 2.5}
    doc = _merged_doc([], ratios=[{**ratio, "run": "r1", "platform": "p"},
                                  {**ratio, "median": 50.0, "ci_low": 40.0, "ci_high": 60.0, "run": "r2", "platform": "p"}])
    doc["runs"] = [{"id": "r1", "platform": "p", "machine": {"cpu_model": "CPU A"}},
                   {"id": "r2", "platform": "p", "machine": {"cpu_model": "CPU B"}}]
    c1 = next(c for c in compute_by_source(doc) if c["id"] == "C1")
    assert [b["run"] for b in c1["by_platform"]] == ["r1", "r2"], "one verdict per machine, never pooled"
    assert "CPU A" in c1["by_platform"][0]["source"] and "CPU B" in c1["by_platform"][1]["source"]
    # 2.5x on one machine, 50x on the other: each judged alone (refuted, confirmed), not one pooled ratio
    assert [b["verdict"] for b in c1["by_platform"]] == ["refuted", "confirmed"] and c1["verdict"] == "partly", c1


def test_benchmark_sections_render_once_per_machine():
    """Two bench runs in one merged document: each section once per machine, charts with distinct ids."""
    from parity.render import render_html, render_markdown
    from parity.sections import of_part

    doc = json.loads((Path(__file__).parent / "fixtures" / "sample_results.json").read_text(encoding="utf-8"))
    for section in of_part("bench"):
        rows = doc.get(section) or []
        doc[section] = [{**r, "run": run} for run in ("r1", "r2") for r in rows]
    doc["run"]["merged"] = True
    doc["runs"] = [{"id": r, "platform": "linux-cpython3.11-x86_64", "machine": {"cpu_model": cpu, "cores": 2},
                    "parts": ["bench"]} for r, cpu in (("r1", "CPU A"), ("r2", "CPU B"))]
    html = render_html(doc)
    for cpu in ("CPU A", "CPU B"):
        assert html.count(f'<h3 class="machine">Measured on {cpu}') == 7, cpu  # speed, latency, ... workloads
    ids = re.findall(r'id="(chart-[^"]+)"', html)
    assert len(ids) == len(set(ids)) and any(i.startswith("chart-m1-") for i in ids), ids
    md = render_markdown(doc)
    assert md.count("#### Measured on CPU A") == 1 and md.count("#### Measured on CPU B") == 1
