"""Fault study: the suite's own servers and disk fail in the middle of a real quick compat run.

Each run is a real `parity run` of two scenarios on redis and postgres (embedded); tests/fault_plugin.py does the fault
at a stated point: after the 2nd finished cell of the named family, kill -9 of the server's process group (as an OOM
killer would), or SIGSTOP (a stalled host). Asserted for each: the event is named (console, results.json, report),
no claim verdict and no finding comes from the cells it spoiled, nothing is left running, no temp file is left.
The runs start together (the suite keeps two runs on one machine apart), so the study costs about one run's time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from conftest import ROOT, run_cli, wait_for

SCENARIOS = "test_invoke_and_resume or test_rich_values_in_pending_writes"  # 2 cells on each backend and scenario
FAULTS = {"redis-kill": "redis:kill:2", "postgres-kill": "postgres:kill:2", "redis-stall": "redis:stall:2"}
# --restart-dead-servers: killed as its 3rd cell starts (that cell runs again on the restarted server), then again
# after that cell's second attempt (no second restart: the rest of the Redis cells stop with the reason)
RESTART = {"redis-restart": "redis:killcall:3,redis:kill:4"}
EVENT = {"kill": "died", "stall": "stopped answering"}
COMPAT_CLAIMS = ("C4", "C5", "C12")
RUN_TIMEOUT_S = 420  # four runs at once on a busy 2-vCPU machine; one alone takes about 20 s


def _start(name: str, spec: str | None, tmp: Path, *extra: str) -> dict:
    out, log = tmp / name, tmp / f"{name}.fault.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests"), "PARITY_TEST_FAULT_LOG": str(log)}
    if spec:
        env["PARITY_TEST_FAULT"] = spec
    argv = [sys.executable, "-m", "parity.cli", "run", "--only", "compat", "-k", SCENARIOS, "--workload", "none",
            "--backend", "redis", "--backend", "postgres", "--quick", "--timeout", "10", "--out", str(out),
            "--history", "none", *extra, "--", "-p", "fault_plugin"]
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return {"proc": proc, "out": out, "log": log, "spec": spec}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    started = {name: _start(name, spec, tmp) for name, spec in FAULTS.items()}
    started.update({name: _start(name, spec, tmp, "--restart-dead-servers") for name, spec in RESTART.items()})
    try:
        for run in started.values():
            run["stdout"], run["stderr"] = run["proc"].communicate(timeout=RUN_TIMEOUT_S)
            run["rc"] = run["proc"].returncode
    finally:
        for run in started.values():
            if run["proc"].poll() is None:
                run["proc"].kill()
                run["proc"].wait()
    yield started
    shutil.rmtree(tmp, ignore_errors=True)


def _doc(run: dict) -> dict:
    path = run["out"] / "results.json"
    assert path.is_file(), f"no results.json (exit {run['rc']}): {run['stderr'][-1500:]}"
    return json.loads(path.read_text())


@pytest.mark.parametrize("name", list(FAULTS))
def test_the_event_is_named_once_and_spoils_only_what_it_touched(runs, name):
    run = runs[name]
    family, action, _ = run["spec"].split(":")
    doc = _doc(run)
    fault = json.loads(run["log"].read_text())[0]
    assert run["rc"] in (0, 1), f"a run whose server failed must still complete (exit {run['rc']}): {run['stderr'][-1500:]}"
    events = doc["server_events"]
    assert [(e["server"], e["event"]) for e in events] == [(family, EVENT[action])], events
    line = events[0]["line"]
    assert line.startswith(f"the {family} server (embedded) {EVENT[action]} at "), line
    if action == "kill":
        assert "killed by signal 9" in line, line
    assert run["stdout"].count(f"parity: {line}") == 1, f"the event must be said once live: {run['stdout'][-3000:]}"
    assert f"server event: {line}" in run["stdout"], run["stdout"][-3000:]
    assert line in (run["out"] / "report.html").read_text(), "the report does not name the event"
    assert any(line in text for text in doc["run"]["incomplete"]), doc["run"].get("incomplete")
    # every cell of that family finished after the fault is a harness error naming it, never a saver's failure
    after = [c for c in doc["cells"] if c["backend"] == family and c["status"] != "not-applicable"][2:]
    assert after, "the fault came after the last cell: nothing was studied"
    assert all(c["status"] == "error" and c.get("spoiled_by", {}).get("line") == line for c in after), \
        [(c["id"], c["status"], c.get("reason")) for c in after]
    assert events[0]["cells"] == len(after), (events[0]["cells"], len(after))
    spoiled_ids = {c["id"] for c in after}
    others = [c for c in doc["cells"] if c["id"] not in spoiled_ids]
    assert not any(c.get("spoiled_by") for c in others), "a cell the event did not touch was spoiled"
    assert all(f["backend"] != family for f in doc["findings"] if f["scenario"] in {c["scenario"] for c in after}
               and (f["flavour"], f["loop"]) in {(c["flavour"], c["loop"] if c["flavour"] == "async" else None)
                                                 for c in after}), "a finding came from a spoiled cell"
    assert fault["cell"] not in spoiled_ids  # the fault's own point: the cell before it was whole


@pytest.mark.parametrize("name", list(FAULTS))
def test_no_claim_verdict_from_spoiled_cells(runs, name):
    run = runs[name]
    family = run["spec"].split(":")[0]
    claims = {c["id"]: c for c in _doc(run)["claims"]}
    reads = {"C4": ("redis", "postgres"), "C5": ("redis",), "C12": ("redis", "postgres")}
    for cid in COMPAT_CLAIMS:
        if family in reads[cid]:
            assert claims[cid]["verdict"] == "not-testable-here", claims[cid]
            assert claims[cid]["reason"].startswith(f"not testable in this run: the {family} server "), claims[cid]
        else:  # the other backends' evidence still counts
            assert family not in claims[cid]["reason"], claims[cid]


@pytest.mark.parametrize("name", list(FAULTS) + list(RESTART))
def test_nothing_left_running_and_no_temp_file(runs, name):
    run = runs[name]
    fault = json.loads(run["log"].read_text())[0]
    root = str(Path(fault["data_dir"]).parent)  # the run's temp root, holding every server's data dir
    assert wait_for(lambda: not _processes_under(root), timeout=15), f"left running: {_processes_under(root)}"
    assert not Path(root).exists(), f"the run's temp root {root} was left behind"
    assert not list(run["out"].rglob("*.tmp")), list(run["out"].rglob("*.tmp"))


def test_restart_once_reruns_the_spoiled_cell_and_a_second_death_is_final(runs):
    run = runs["redis-restart"]
    doc = _doc(run)
    first, second = json.loads(run["log"].read_text())
    events = doc["server_events"]
    assert [e["event"] for e in events] == ["died", "died"], events
    assert "restarted once by the suite (--restart-dead-servers)" in events[0]["detail"], events[0]
    assert events[0]["cells"] == 0 and events[0]["until"], "the restarted server's cell ran again: nothing spoiled"
    assert "restarted once" not in events[1]["detail"], "a second death must not be restarted"
    rerun = next(c for c in doc["cells"] if c["id"] == first["cell"])
    assert rerun["status"] in ("passed", "known-divergence", "diverged") and rerun["rerun_after"] == events[0]["line"], \
        rerun
    assert [c["id"] for c in doc["cells"]].count(first["cell"]) == 1, "the spoiled first attempt was kept"
    assert f"parity: the redis server was restarted once (--restart-dead-servers); {first['cell']} runs again" \
        in run["stdout"], run["stdout"][-3000:]
    later = [c for c in doc["cells"] if c["backend"] == "redis" and c["status"] != "not-applicable"][3:]
    assert later and all(c.get("spoiled_by", {}).get("line") == events[1]["line"] for c in later), later
    claims = {c["id"]: c for c in doc["claims"]}
    assert claims["C12"]["verdict"] == "not-testable-here" and "not testable in this run" in claims["C12"]["reason"]
    assert second["cell"] == first["cell"]  # the second death came right after the re-run


def _processes_under(root: str) -> list[str]:
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        try:
            if root in " ".join(proc.info["cmdline"] or []) or root in (proc.cwd() or ""):
                found.append(f"{proc.pid} {' '.join(proc.info['cmdline'] or [])[:120]}")
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            pass
    return found


# ---- a full disk under --out -----------------------------------------------------------------------------------

@pytest.fixture
def small_tmpfs(tmp_path):
    """A tmpfs of a few pages mounted on a fresh folder (root on Linux only), unmounted after."""
    if sys.platform != "linux" or os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("a small tmpfs needs root on Linux (mount -t tmpfs)")
    mounted = []

    def mount(size_kb: int) -> Path:
        where = tmp_path / f"full{len(mounted)}"
        where.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(where)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"mount -t tmpfs refused here: {done.stderr.strip()}")
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        subprocess.run(["umount", str(where)], check=False)


def test_full_out_is_one_line_exit_2_and_no_half_file(small_tmpfs):
    """results.json does not fit: one line naming it, exit 2, and nothing in --out (no temp file, no half document)."""
    out = small_tmpfs(4)
    done = run_cli("run", "--only", "compat", "-k", "test_invoke_and_resume", "--workload", "none", "--backend",
                   "memory", "--quick", "--out", str(out), "--history", "none", timeout=240)
    assert done.returncode == 2, f"exit {done.returncode}: {done.stderr[-1500:]}"
    lines = [ln for ln in done.stderr.splitlines() if "no space left" in ln]
    assert len(lines) == 1 and str(out / "results.json") in lines[0] and "(fix: " in lines[0], done.stderr[-1500:]
    assert "Traceback" not in done.stdout + done.stderr, done.stderr[-3000:]
    assert list(out.iterdir()) == [], list(out.iterdir())


def test_full_disk_while_rendering_leaves_results_whole(runs, small_tmpfs):
    """A real run's results.json on a disk with one page to spare: the report does not fit. One line, exit 2, no
    report.html.tmp, and results.json still whole."""
    source = runs["redis-kill"]["out"] / "results.json"
    size_kb = -(-source.stat().st_size // 4096) * 4 + 4
    out = small_tmpfs(size_kb)
    shutil.copy(source, out / "results.json")
    done = run_cli("report", str(out))
    assert done.returncode == 2, f"exit {done.returncode}: {done.stderr[-1500:]}"
    assert "no space left to write" in done.stderr and "(fix: " in done.stderr, done.stderr[-1500:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert not list(out.glob("*.tmp")), list(out.iterdir())
    assert (out / "results.json").read_bytes() == source.read_bytes()
