"""`parity langgraph-tests`: LangGraph's own checkpointer tests on each saver beside InMemorySaver.

The analysis (ids, differential, causes, shards, gate) is tested on outcome lines; the command on a fake sdist for
its bad input, and for real on the --quick subset of the installed langgraph's tests when their venv is cached
(`make test` prepares it: `parity langgraph-tests --prepare --install-test-deps`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from parity.cli import main
from parity.errors import ParityUsageError
from parity.gate import parse_policy, run_gate
from parity.langgraph_tests import causes, section, testenv
from parity.langgraph_tests.savers import param_id, split_id

ROOT = Path(__file__).resolve().parent.parent
NAMES = ["memory", "redis", "redis-shallow", "postgres"]


def line(test: str, saver: str, outcome: str = "passed", run: int = 1, **failure) -> dict:
    nodeid = test.replace("@", param_id(saver))
    out = {"nodeid": nodeid, "file": nodeid.split("::")[0], "run": run, "outcome": outcome}
    if failure:
        out["failure"] = failure
    return out


def test_saver_ids_are_split_out_of_langgraph_test_ids_longest_name_first():
    assert split_id("tests/t.py::test_x[sync-@redis-shallow]", NAMES) == ("tests/t.py::test_x[sync-@]", "redis-shallow")
    assert split_id("tests/t.py::test_x[@redis]", NAMES) == ("tests/t.py::test_x[@]", "redis")
    # InMemorySaver keeps LangGraph's own id, so its syrupy snapshots (named test_x[memory]) are found
    assert split_id("tests/t.py::test_x[memory-raw_dict]", NAMES) == ("tests/t.py::test_x[@-raw_dict]", "memory")
    assert split_id("tests/t.py::test_x[sqlite]", NAMES) is None


def _lines():
    fail = {"type": "KeyError", "message": "KeyError: 'checkpoint_ns' at 0x7f3a", "saver_call": "RedisSaver.put_writes"}
    return [
        *[line("tests/a.py::test_ok[@]", s) for s in ("memory", "redis", "postgres")],
        line("tests/a.py::test_one[@]", "memory"), line("tests/a.py::test_one[@]", "postgres"),
        line("tests/a.py::test_one[@]", "redis", "failed", **fail),
        line("tests/a.py::test_two[@]", "memory"), line("tests/a.py::test_two[@]", "postgres"),
        line("tests/a.py::test_two[@]", "redis", "error", **{**fail, "message": "KeyError: 'checkpoint_ns' at 0x11"}),
        # fails on memory too: the tests' skew, never the saver's
        *[line("tests/a.py::test_skew[@]", s, "failed", type="ImportError", message="no module x")
          for s in ("memory", "redis", "postgres")],
        line("tests/a.py::test_skip[@]", "redis", "skipped"),
    ]


def test_failures_only_on_a_saver_are_findings_grouped_by_cause_and_memory_failures_are_skew():
    rows = causes.tally(_lines(), NAMES)
    derived = causes.derive(rows, [])
    [finding] = derived["findings"]
    assert finding["backend"] == "redis"
    assert finding["cause"] == "KeyError in RedisSaver.put_writes: '<n>' at <addr>".replace("'<n>'", "'checkpoint_ns'")
    assert finding["tests"] == ["tests/a.py::test_one[@]", "tests/a.py::test_two[@]"]
    assert finding["expected"] is None and not finding["intermittent"]
    assert [s["test"] for s in derived["skew"]] == ["tests/a.py::test_skew[@]"]
    by = {b["backend"]: b for b in derived["backends"]}
    assert (by["redis"]["failed"], by["redis"]["skew"], by["redis"]["skipped"], by["redis"]["passed"]) == (2, 1, 1, 1)
    assert (by["postgres"]["failed"], by["postgres"]["skew"], by["postgres"]["passed"]) == (0, 1, 3)


def test_a_known_racy_langgraph_test_failing_on_a_saver_only_is_skew_with_its_evidence():
    lines = [line("tests/a.py::test_race[@]", "memory"),
             line("tests/a.py::test_race[@]", "redis", "failed", type="AssertionError", message="order")]
    derived = causes.derive(causes.tally(lines, NAMES), [], {"tests/a.py::test_race[@]": "failed on memory once"})
    assert not derived["findings"]
    [skew] = derived["skew"]
    assert skew["flaky"] == "failed on memory once" and skew["backends"] == ["redis"]
    assert causes.derive(causes.tally(lines, NAMES), [])["findings"]  # without the entry it is the saver's
    assert "tests/test_pregel_async.py::test_imp_nested[@-async]" in section.flaky_tests()


def test_repeated_runs_give_a_failure_rate_and_an_intermittent_mark():
    fail = {"type": "AssertionError", "message": "assert 1 == 2", "statement": "assert len(history) == 3"}
    lines = [line("tests/a.py::test_race[@]", "memory", run=k) for k in (1, 2, 3)]
    lines += [line("tests/a.py::test_race[@]", "redis", "failed" if k == 2 else "passed", run=k, **fail)
              for k in (1, 2, 3)]
    [finding] = causes.derive(causes.tally(lines, NAMES), [])["findings"]
    assert (finding["failures"], finding["runs"], finding["intermittent"]) == (1, 3, True)
    assert finding["cause"] == "AssertionError: assert len(history) == <n>"  # the assert statement, not its values


def test_a_reviewed_cause_applies_to_the_builtin_savers_it_names_only():
    expected = [{"id": "redis-x", "title": "put_writes loses the namespace", "backends": ["redis"],
                 "match": r"KeyError in RedisSaver\.put_writes", "tests": ["tests/a.py::*"],
                 "explanation": "why", "upstream_check": "compat/upstream_checks/x.py"}]
    rows = causes.tally(_lines(), NAMES)
    [finding] = causes.derive(rows, expected)["findings"]
    assert finding["expected"] == "redis-x" and finding["upstream_check"].endswith("x.py")
    assert finding["cause"] == "put_writes loses the namespace"
    elsewhere = [{**expected[0], "tests": ["tests/b.py::*"]}]  # the cause claims other tests only
    assert causes.derive(rows, elsewhere)["findings"][0]["expected"] is None
    as_third_party = [{**e, "backends": []} for e in expected]  # what expected_for gives a saver not built in
    assert causes.derive(rows, as_third_party)["findings"][0]["expected"] is None


def test_every_reviewed_cause_is_complete_and_has_its_upstream_check():
    table = section.load_expected()
    for cause in table:
        assert {"id", "title", "backends", "tests", "explanation", "evidence", "upstream_check"} <= set(cause), cause
        re.compile(cause.get("match") or "")
        if cause.get("attributed", True):  # a cause is one only with its standalone check
            assert (ROOT / cause["upstream_check"]).is_file(), cause["upstream_check"]
        else:
            assert not cause["upstream_check"], f"{cause['id']}: unattributed, yet it names a check"
    tests = [t for c in table for t in c["tests"]]
    assert len(tests) == len(set(tests)), "a test claimed by two causes"
    assert len({c["id"] for c in table}) == len(table)


def _section(shard=None, lines=None):
    rows = causes.tally(lines or _lines(), NAMES)
    return section.build(version="1.2.24", mode="quick", files=["tests/a.py"], repeat=1, shard=shard, rows=rows,
                         backends=[{"backend": "redis"}, {"backend": "postgres"}], not_run=[], seconds=1.0,
                         builtin={"redis", "postgres"})


def test_the_section_is_schema_valid_and_shards_merge_into_the_same_findings():
    from parity import results
    from parity.results_schema import validate

    whole = _section()
    doc = results.new_document()
    doc["langgraph_tests"] = whole
    validate(doc)
    a_lines = [ln for ln in _lines() if "test_one" in ln["nodeid"] or "test_ok" in ln["nodeid"]]
    b_lines = [ln for ln in _lines() if ln not in a_lines]
    merged = section.merge_sections([_section({"index": 1, "count": 2}, a_lines),
                                     _section({"index": 2, "count": 2}, b_lines)])
    assert merged["findings"][0]["tests"] == whole["findings"][0]["tests"]
    assert {b["backend"]: b["passed"] for b in merged["backends"]} == {b["backend"]: b["passed"] for b in whole["backends"]}
    assert merged["missing_shards"] == []
    assert section.merge_sections([_section({"index": 1, "count": 2}, a_lines)])["missing_shards"] == ["2/2"]
    other = {**_section(), "langgraph_version": "1.3.0"}
    with pytest.raises(ParityUsageError, match="different langgraph versions"):
        section.merge_sections([whole, other])


def test_gate_fails_on_failures_beyond_the_reviewed_causes_and_on_a_run_without_the_section():
    doc = {"langgraph_tests": _section()}
    ok, reasons = run_gate(doc, {"langgraph_tests": {"backends": ["postgres"]}})
    assert ok, reasons
    ok, reasons = run_gate(doc, {"langgraph_tests": {"backends": ["redis"]}})
    assert not ok and "2 tests fail on redis only" in reasons[0]
    assert run_gate(doc, {"langgraph_tests": {"backends": ["redis"], "max_failures": 2}})[0]
    listed = {"id": "redis-x", "title": "t", "backends": ["redis"], "tests": ["tests/a.py::*"], "explanation": "",
              "attributed": False}
    doc_listed = {"langgraph_tests": {**doc["langgraph_tests"],
                                      **causes.derive(doc["langgraph_tests"]["rows"], [listed])}}
    assert not run_gate(doc_listed, {"langgraph_tests": {"backends": ["redis"]}})[0]  # listed, not explained: counts
    assert run_gate(doc_listed, {"langgraph_tests": {"backends": ["redis"], "allow_unattributed": True}})[0]
    ok, reasons = run_gate(doc, {"langgraph_tests": {"backends": ["sqlite"]}})
    assert not ok and "sqlite did not run" in reasons[0]
    ok, reasons = run_gate({}, {"langgraph_tests": {}})
    assert not ok and "no langgraph_tests section" in reasons[0]
    with pytest.raises(ParityUsageError, match=r"langgraph_tests\]\.max_failures must be an integer"):
        parse_policy({"langgraph_tests": {"max_failures": -1}})


def _fake_sdist(cache: Path, version: str) -> Path:
    src = cache / version / f"langgraph-{version}"
    (src / "tests").mkdir(parents=True)
    (src / "tests" / "conftest.py").write_text("# sync_checkpointer\n")
    (src / "tests" / "test_a.py").write_text("def test_a(sync_checkpointer): pass\n")
    (src / "pyproject.toml").write_text('[dependency-groups]\ntest = ["pytest", "surely-not-installed-pkg>=1"]\n')
    return src


@pytest.mark.parametrize("args, words", [
    (["--repeat", "0"], "--repeat 0: need at least 1"),
    (["--timeout", "0"], "--timeout 0: need more than 0 seconds"),
    (["--shard", "3/2"], "--shard 3/2: expected K/N"),
    (["--backend", "nope"], "unknown backend 'nope'"),
    (["--backend", "memory"], "no saver to test besides memory"),
    (["--parity-saver", "x"], "is not NAME=module:factory"),
])
def test_bad_input_is_one_line_exit_2(capsys, args, words):
    assert main(["langgraph-tests", *args]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err


def test_without_its_venv_the_command_names_what_is_missing_and_exits_2(tmp_path, monkeypatch, capsys):
    from importlib import metadata

    _fake_sdist(tmp_path, metadata.version("langgraph"))
    monkeypatch.setenv("PARITY_LANGGRAPH_TESTS_CACHE", str(tmp_path))
    assert main(["langgraph-tests", "--backend", "sqlite"]) == 2
    err = capsys.readouterr().err
    assert "no test venv for langgraph" in err and "surely-not-installed-pkg>=1" in err
    assert "--install-test-deps" in err and err.count("\n") == 1
    assert "pytest " not in err.split("group:")[1]  # what is installed here is not named as missing


def test_pins_keep_this_environments_versions_except_what_the_group_pins_otherwise():
    from importlib import metadata

    have = metadata.version("uvloop")
    pins = testenv.pins([f"uvloop!={have}", "pytest"])
    assert "uvloop" not in pins  # the group wants another uvloop: its pin wins, in its own venv
    assert pins["langgraph"] == metadata.version("langgraph") and pins["redis"] == metadata.version("redis")
    assert "pytest" not in pins and "fastapi" not in pins  # the tests' tools and the suite's own: pip chooses
    assert "checkpoint-parity" not in pins  # an editable install is not on the index


# ---- the real thing: LangGraph's own tests, --quick, on the built-in savers ------------------------------------------

def _venv_ready() -> str | None:
    from parity.langgraph_tests import sdist

    version = sdist.installed_version()
    src = sdist.source_dir(version)
    if not (src / "tests" / "conftest.py").is_file():
        return f"langgraph {version}'s sdist is not in {sdist.cache_root()}"
    missing = testenv.missing(version, sdist.test_requirements(src))
    return missing[0] if missing else None


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    why = _venv_ready()
    if why:
        pytest.skip(f"{why}; `make test` prepares it (parity langgraph-tests --prepare --install-test-deps)")
    out = tmp_path_factory.mktemp("lgt")
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "parity.cli", "langgraph-tests", "--quick", "--out", str(out)],
                          capture_output=True, text=True, timeout=900)
    return proc, out, time.monotonic() - started


def test_quick_subset_runs_on_every_builtin_saver_and_redis_shows_its_reviewed_causes(quick_run):
    """memory, postgres and sqlite must be clean on LangGraph's quick subset. Redis fails some tests in every run and
    others only in some (RedisSaver's races: the has_writes flag under durability=async); its deterministic causes
    must come out under their reviewed ids, and a failure outside the table is printed, not failed on."""
    from parity.cli.langgraph_tests import QUICK
    from parity.results_schema import validate

    proc, out, seconds = quick_run
    assert proc.returncode == 0, proc.stderr[-2000:]
    for f in QUICK:
        assert re.search(rf"^langgraph-tests: run 1: {re.escape(f)}: ", proc.stdout, re.M), (f, proc.stdout[-2000:])
    doc = json.loads((out / "results.json").read_text())
    validate(doc)
    lgt = doc["langgraph_tests"]
    ran = {b["backend"]: b for b in lgt["backends"]}
    assert set(ran) == {"memory", "redis", "postgres", "sqlite"}
    assert all(b["tests"] > 50 for b in ran.values()), ran
    assert not lgt["skew"], f"tests failing on InMemorySaver too: {[s['test'] for s in lgt['skew']]}"
    assert (ran["postgres"]["failed"], ran["sqlite"]["failed"]) == (0, 0), lgt["findings"][:3]
    causes_seen = {f["expected"] for f in lgt["findings"] if f["backend"] == "redis"}
    # deterministic (plain bugs, not races: their checks print the same each time)
    assert {"redis-interrupt-response-schema", "redis-list-root-namespace"} <= causes_seen, causes_seen
    new = [(f["cause"], f["tests"][:3]) for f in lgt["findings"] if not f["expected"]]
    print(f"quick subset: {seconds:.0f} s, load {os.getloadavg()}; redis failures outside the table: {new}")
    assert 'id="langgraph-tests"' in (out / "report.html").read_text()


def test_ctrl_c_stops_langgraph_tests_and_its_pytest_within_seconds(tmp_path):
    """Ctrl-C after the first file: exit 130, LangGraph's pytest (its own process group) gone, no server left."""
    import signal

    why = _venv_ready()
    if why:
        pytest.skip(f"{why}; `make test` prepares it (parity langgraph-tests --prepare --install-test-deps)")
    proc = subprocess.Popen([sys.executable, "-m", "parity.cli", "langgraph-tests", "--backend", "sqlite",
                             "--file", "tests/test_interruption.py", "--file", "tests/test_delta_channel_fork.py",
                             "--out", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stdout:
            if line.startswith("langgraph-tests: run 1: tests/test_interruption.py"):
                break
        children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        proc.send_signal(signal.SIGINT)
        started = time.monotonic()
        code = proc.wait(timeout=30)
        took = time.monotonic() - started
    finally:
        proc.kill()
    assert code == 130, proc.stderr.read()[-1000:]
    assert took < 10, f"{took:.1f} s to stop"
    alive = [p for p in children if Path(f"/proc/{p}").exists()]
    assert not alive, f"left running: {alive}"


def test_shards_of_a_real_run_merge_gate_and_render(tmp_path, capsys):
    """Two shards of two files on sqlite: `parity merge` joins them (and refuses one alone), the gate reads the
    merged section, `parity report` renders it."""
    why = _venv_ready()
    if why:
        pytest.skip(f"{why}; `make test` prepares it (parity langgraph-tests --prepare --install-test-deps)")
    files = ["--file", "tests/test_interruption.py", "--file", "tests/test_checkpoint_migration.py"]
    for k in (1, 2):
        assert main(["langgraph-tests", "--backend", "sqlite", *files, "--shard", f"{k}/2",
                     "--out", str(tmp_path / f"s{k}")]) == 0
    assert main(["merge", str(tmp_path / "s1"), "--out", str(tmp_path / "one")]) == 2
    assert "langgraph-tests shard 2/2" in capsys.readouterr().err
    assert main(["merge", str(tmp_path / "s1"), str(tmp_path / "s2"), "--out", str(tmp_path / "m")]) == 0
    merged = json.loads((tmp_path / "m" / "results.json").read_text())["langgraph_tests"]
    assert sorted(merged["files"]) == sorted(files[1::2]) and merged["missing_shards"] == []
    parts = [json.loads((tmp_path / f"s{k}" / "results.json").read_text())["langgraph_tests"] for k in (1, 2)]
    by = {b["backend"]: b for b in merged["backends"]}
    assert by["sqlite"]["tests"] == sum(next(b["tests"] for b in p["backends"] if b["backend"] == "sqlite")
                                        for p in parts) > 0
    policy = tmp_path / "policy.toml"
    policy.write_text('[langgraph_tests]\nbackends = ["sqlite"]\n')
    assert main(["gate", str(tmp_path / "m"), "--policy", str(policy)]) == 0
    policy.write_text('[langgraph_tests]\nbackends = ["redis"]\n')
    assert main(["gate", str(tmp_path / "m"), "--policy", str(policy)]) == 1
    assert main(["report", str(tmp_path / "m")]) == 0
    assert 'id="langgraph-tests"' in (tmp_path / "m" / "report.html").read_text()
    capsys.readouterr()
    assert main(["langgraph-tests", "--backend", "sqlite", *files, "-k", "no_such_test_anywhere",
                 "--out", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert "no test of the chosen files matches -k 'no_such_test_anywhere'" in err and err.count("\n") == 1


PROBE_SAVER = """
from langgraph.checkpoint.memory import InMemorySaver

_stores = {}


class DropsChannelWrites(InMemorySaver):
    def put_writes(self, config, writes, task_id, task_path=""):
        return super().put_writes(config, [(c, v) for c, v in writes if c.startswith("__")], task_id, task_path)


def drops_channel_writes(ctx):
    return _stores.setdefault(ctx.scope, DropsChannelWrites())


drops_channel_writes.parity_capabilities = ("sync", "async", "full_history")
"""


def test_exit_codes_follow_the_contract_of_every_evidence_command(tmp_path, monkeypatch, capsys):
    """A real run on a saver of the caller's folder that drops channel writes: exit 0 with its finding (the run
    completed), 1 with --fail-on diverged (the finding is in no reviewed cause), 2 in one line when LangGraph's
    pytest cannot run (no report). The finding names no stdlib frame as the saver's call (InMemorySaver's bases);
    a file's progress line still comes when -k selects only some of its tests."""
    why = _venv_ready()
    if why:
        pytest.skip(f"{why}; `make test` prepares it (parity langgraph-tests --prepare --install-test-deps)")
    (tmp_path / "lgt_probe_saver.py").write_text(PROBE_SAVER)
    monkeypatch.chdir(tmp_path)  # the saver module is found from the caller's folder, in LangGraph's pytest too
    args = ["langgraph-tests", "--parity-saver", "dw=lgt_probe_saver:drops_channel_writes", "--backend", "dw",
            "--file", "tests/test_interruption.py", "-k", "invalid_resume_lets_other_answered_tasks_finish"]
    assert main([*args, "--fail-on", "failed", "--out", str(tmp_path / "a")]) == 0  # it ran to a verdict
    # the file's progress line comes although -k selected only some of its tests
    assert "langgraph-tests: run 1: tests/test_interruption.py: 1 failed, 1 passed" in capsys.readouterr().out
    lgt = json.loads((tmp_path / "a" / "results.json").read_text())["langgraph_tests"]
    found = [f for f in lgt["findings"] if f["backend"] == "dw"]
    assert len(found) == 1 and found[0]["expected"] is None, lgt["findings"]
    assert "run_until_complete" not in found[0]["cause"], found[0]["cause"]
    assert main([*args, "--fail-on", "diverged", "--out", str(tmp_path / "c")]) == 1
    err = capsys.readouterr().err
    assert "parity: --fail-on: 1 LangGraph test(s) failed on a saver only, outside the reviewed causes" in err, err
    monkeypatch.setenv("PYTEST_ADDOPTS", "--no-such-pytest-option")  # LangGraph's pytest refuses to start
    assert main([*args, "--out", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert "the run did not complete" in err and "pytest exit code 4" in err, err
    assert err.count("\n") == 1 and not (tmp_path / "d" / "results.json").exists()


def test_fail_on_failed_counts_tests_without_a_verdict_and_savers_not_opened():
    from parity.cli.outcome import langgraph_tests_matched

    rows = [{"test": "t1", "backend": "redis", "failed": 1, "failure": {"phase": "setup", "message": "boom"}},
            {"test": "t2", "backend": "redis", "failed": 1, "failure": {
                "phase": "call", "type": "Failed", "message": "Failed: Timeout (>180.0s) from pytest-timeout."}},
            {"test": "t3", "backend": "redis", "failed": 1, "failure": {"phase": "call", "type": "AssertionError"}}]
    assert langgraph_tests_matched({"rows": rows}, ["failed"]) == [
        "2 LangGraph test(s) and 0 saver(s) could not run to a verdict, e.g. redis t1"]
    not_run = {"rows": rows[2:], "not_run": [{"backend": "pg", "reason": "no server"}]}
    assert langgraph_tests_matched(not_run, ["failed"]) == [
        "0 LangGraph test(s) and 1 saver(s) could not run to a verdict, e.g. pg"]
    assert langgraph_tests_matched({"rows": rows}, []) == []


def test_the_sdist_is_fetched_through_pip_once_per_version_and_a_failed_download_is_one_line(tmp_path, monkeypatch):
    import io
    import tarfile
    from types import SimpleNamespace

    from parity.langgraph_tests import sdist

    calls = []

    def fake_pip(cmd, **kw):
        calls.append(cmd)
        if "langgraph==9.9.9" in cmd:
            return SimpleNamespace(returncode=1, stderr="ERROR: No matching distribution found for langgraph==9.9.9")
        where = Path(cmd[cmd.index("-d") + 1])
        where.mkdir(parents=True, exist_ok=True)
        with tarfile.open(where / "langgraph-1.0.0.tar.gz", "w:gz") as tar:
            data = b"# fixtures\n"
            info = tarfile.TarInfo("langgraph-1.0.0/tests/conftest.py")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        return SimpleNamespace(returncode=0, stderr="")

    monkeypatch.setenv("PARITY_LANGGRAPH_TESTS_CACHE", str(tmp_path))
    monkeypatch.setattr(sdist.subprocess, "run", fake_pip)
    src = sdist.fetch("1.0.0", echo=lambda line: None)
    assert (src / "tests" / "conftest.py").read_text() == "# fixtures\n"
    assert calls[0][-6:] == ["--no-binary", ":all:", "--no-deps", "-d", calls[0][-2], "langgraph==1.0.0"]
    assert sdist.fetch("1.0.0", echo=lambda line: None) == src and len(calls) == 1  # cached: pip not asked again
    assert not (tmp_path / "1.0.0" / "download").exists()
    with pytest.raises(ParityUsageError, match="could not download the sdist of langgraph 9.9.9: ERROR: No matching"):
        sdist.fetch("9.9.9", echo=lambda line: None)


def test_langgraph_own_postgres_fixture_is_pointed_at_the_suites_server(monkeypatch):
    """Its conftest's fixed localhost:5442 gives way to the run's server (Family.point_langgraph_tests), in memory;
    a family without such a fixture is left alone."""
    from types import SimpleNamespace

    from parity.langgraph_tests.plugin import _point_fixed_servers

    conftest = SimpleNamespace(DEFAULT_POSTGRES_URI="postgres://postgres:postgres@localhost:5442/")
    monkeypatch.setitem(sys.modules, "tests.conftest_checkpointer", conftest)
    _point_fixed_servers({"postgres": "postgresql://u:p@127.0.0.1:5999/parity?options=-csearch_path%3Dx",
                          "redis": "redis://127.0.0.1:6399/0"})
    assert conftest.DEFAULT_POSTGRES_URI == "postgresql://u:p@127.0.0.1:5999/", conftest.DEFAULT_POSTGRES_URI
