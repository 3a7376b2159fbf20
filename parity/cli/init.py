"""`parity init`: a workload skeleton, a gate policy and a GitHub Actions workflow, written into a team's repository."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

from parity import roles
from parity.cli import Parser
from parity.errors import ParityUsageError

WORKLOAD = "parity-workload.toml"
POLICY = "parity-gate.toml"
WORKFLOW = ".github/workflows/checkpoint-parity.yml"
DEFAULT_PYTHONS = ("3.11", "3.12")  # the versions this suite is tested with
MIN_PYTHON_MINOR = 10  # pyproject.toml's requires-python
DEFAULT_OSES = ("ubuntu-latest", "windows-latest")
ACTION_REF = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[\w./-]+$")  # owner/repo[/path]@ref, as `uses:` takes it
WORKFLOW_ARTIFACT = "parity-${{ matrix.os }}-py${{ matrix.python }}"
ACTION_ARTIFACT = "${{ env.PARITY_ARTIFACT }}"


def template(name: str) -> str:
    return resources.files("parity").joinpath("templates", name).read_text(encoding="utf-8")


def fill(text: str, **values: str) -> str:
    """Replace @KEY@ markers (GitHub's own ${{ }} stays untouched); a marker left over is a bug of ours."""
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        raise AssertionError(f"template markers not filled: {sorted(set(left))}")
    return text


def shared_steps(indent: int, artifact: str) -> str:
    """The check/report/gate/summary/upload steps, shared by the init workflow and action.yml."""
    lines = template("steps.yml").replace("@ARTIFACT@", artifact).rstrip("\n").splitlines()
    shift = indent - 6  # the template is indented for jobs.<id>.steps
    return "\n".join((line[-shift:] if shift < 0 else " " * shift + line) if line else line for line in lines)


def render_action() -> str:
    """The repository's action.yml (kept in sync by a test)."""
    return fill(template("action.yml"), STEPS=shared_steps(4, ACTION_ARTIFACT)) + "\n"


@dataclass
class Plan:
    root: Path
    name: str
    factory: str
    target: str
    pythons: list[str]
    oses: list[str]
    package: str
    install_app: str
    action: str | None

    def files(self) -> dict[str, str]:
        values = {"WORKLOAD_PATH": WORKLOAD, "POLICY_PATH": POLICY, "NAME": self.name, "FACTORY": self.factory,
                  "TARGET": self.target, "VERSION": _version()}
        return {WORKLOAD: fill(template("workload.toml"), **values),
                POLICY: fill(template("gate-policy.toml"), **values),
                WORKFLOW: self.workflow()}

    def workflow(self) -> str:
        common = {"VERSION": _version(), "OSES": _flow_list(self.oses), "PYTHONS": _flow_list(self.pythons, quote=True),
                  "INSTALL_APP": self.install_app, "WORKLOAD_PATH": WORKLOAD, "POLICY_PATH": POLICY,
                  "NEEDS_REDIS": "true" if _needs_url_on_windows(self.target) else "false"}
        if self.action:
            return fill(template("workflow-action.yml"), ACTION=self.action, **common)
        return fill(template("workflow.yml"), PACKAGE=self.package, STEPS=shared_steps(6, WORKFLOW_ARTIFACT), **common)


def _needs_url_on_windows(target: str) -> bool:
    """The gate's target backend runs on a server family the suite cannot start on Windows, so a Windows job gates
    only with an external server's URL (the workflow's Windows step offers PARITY_REDIS_URL: Redis is that family)."""
    from parity import families
    from parity.backends.registry import default_registry

    registry = default_registry()
    family = registry.get(target).family if target in registry.names() else None
    return family is not None and not families.get(family).embedded_on_windows


def _flow_list(items: list[str], quote: bool = False) -> str:
    return "[" + ", ".join(json.dumps(i) if quote else i for i in items) + "]"


def _version() -> str:
    try:
        return metadata.version("checkpoint-parity")
    except metadata.PackageNotFoundError:
        return "unknown"


def default_package() -> tuple[str, str | None]:
    """What CI should pip-install: where this copy came from when that is reachable from CI, else the release
    of this version; with a note when CI may not find it."""
    version = _version()
    release = f"checkpoint-parity=={version}"
    try:
        direct = metadata.distribution("checkpoint-parity").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        direct = None
    info = json.loads(direct) if direct else {}
    vcs = info.get("vcs_info")
    if vcs and info.get("url", "").startswith(("https://", "ssh://", "git@")):
        return f"checkpoint-parity @ git+{info['url']}@{vcs.get('commit_id', '')}".rstrip("@"), None
    if info.get("url", "").startswith("file:"):
        return release, (f"this checkpoint-parity was installed from a local path ({info['url']}); CI installs "
                         f"{release!r}: if that is not on your package index, pass --package with a pip "
                         "requirement CI can reach (e.g. 'checkpoint-parity @ git+https://...@TAG') or --action")
    return release, None


def install_app_line(root: Path) -> str:
    if (root / "pyproject.toml").is_file() or (root / "setup.py").is_file():
        return "python -m pip install -e .  # your app, with its dependencies"
    if (root / "requirements.txt").is_file():
        return "python -m pip install -r requirements.txt  # your app's dependencies"
    return "# TODO: install your app here, e.g. python -m pip install -r requirements.txt"


def build_parser() -> Parser:
    p = Parser(prog="parity init", description="write a workload skeleton, a gate policy and a GitHub Actions "
                                                "workflow into your repository (never overwriting without --force)")
    p.add_argument("dir", nargs="?", default=".", help="your repository (default: the current directory)")
    p.add_argument("--graph", default="myapp.graph:build", metavar="module:function",
                   help="your factory build(checkpointer) -> compiled graph (default: a placeholder to fill in)")
    p.add_argument("--name", default=None, help="the workload's name (default: the repository folder's name)")
    p.add_argument("--target", default=roles.DEFAULT[0].candidate, help="the backend the gate holds to the reference "
                   f"(default: {roles.DEFAULT[0].candidate}, the default pair's candidate)")
    p.add_argument("--python", action="append", default=[], metavar="X.Y",
                   help=f"Python versions of the CI matrix, repeatable or comma-separated (default: {','.join(DEFAULT_PYTHONS)})")
    p.add_argument("--os", action="append", default=[], metavar="RUNNER",
                   help=f"runner labels of the CI matrix (default: {','.join(DEFAULT_OSES)})")
    p.add_argument("--package", default=None, metavar="REQUIREMENT",
                   help="what CI pip-installs as checkpoint-parity (default: this version, or where it came from)")
    p.add_argument("--install", default=None, metavar="COMMAND", help="the CI step that installs your app")
    p.add_argument("--action", default=None, metavar="OWNER/REPO@REF",
                   help="use the checkpoint-parity composite action (one `uses:` line) instead of inline steps")
    p.add_argument("--force", action="store_true", help="overwrite files that exist")
    return p


def _split(values: list[str], default: tuple[str, ...]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()] or list(default)


def plan_from(args) -> tuple[Plan, str | None]:
    root = Path(args.dir)
    if not root.is_dir():
        raise ParityUsageError(f"{root} is not a directory", "run parity init in your repository, or pass its path")
    pythons = _split(args.python, DEFAULT_PYTHONS)
    bad = [v for v in pythons if not re.fullmatch(r"3\.\d+", v)]
    if bad:
        raise ParityUsageError(f"--python {bad[0]!r} is not a Python version like 3.12", "pass e.g. --python 3.11,3.12")
    old = [v for v in pythons if int(v.split(".")[1]) < MIN_PYTHON_MINOR]
    if old:
        raise ParityUsageError(f"--python {old[0]}: checkpoint-parity needs Python 3.{MIN_PYTHON_MINOR} or later",
                               f"choose versions from 3.{MIN_PYTHON_MINOR} on")
    if not re.fullmatch(r"[\w.]+:[\w.]+", args.graph):
        raise ParityUsageError(f"--graph {args.graph!r} is not module:function", "e.g. --graph myapp.graph:build")
    if args.action is not None and not ACTION_REF.match(args.action):
        raise ParityUsageError(f"--action {args.action!r} is not OWNER/REPO@REF", "e.g. --action acme/checkpoint-parity@v0.1.0")
    package, note = (args.package, None) if args.package else default_package()
    name = args.name or re.sub(r"\W+", "_", root.resolve().name).strip("_") or "my_graph"
    plan = Plan(root, name, args.graph, args.target, pythons, _split(args.os, DEFAULT_OSES), package,
                args.install or install_app_line(root), args.action)
    notes = [n for n in (None if args.action else note, _target_note(args.target)) if n]
    return plan, "\n".join(notes) or None


def _target_note(target: str) -> str | None:
    from parity.backends.registry import default_registry

    names = default_registry().names()
    if target in names:
        return None
    return (f"--target {target!r} is not a backend here ({', '.join(names)}); the gate looks for cells of that "
            "name: register your saver with --parity-saver NAME=module:factory in the check step")


def main_init(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    plan, note = plan_from(args)
    files = plan.files()
    existing = [rel for rel in files if (plan.root / rel).exists()]
    if existing and not args.force:
        raise ParityUsageError(f"{', '.join(existing)} already exist(s) in {plan.root}; nothing was written",
                               "move them away, or pass --force to overwrite")
    for rel, text in files.items():
        path = plan.root / rel
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
        except OSError as exc:
            raise ParityUsageError(f"cannot write {path}: {exc.strerror or exc}", "run in a writable checkout") from None
        print(f"wrote {path}")
    for line in (note or "").splitlines():
        print(f"note: {line}", file=sys.stderr)
    print(f"\nnext: set factory in {WORKLOAD} to your graph (now {plan.factory}) and its first input, then\n"
          f"  parity check --workload {WORKLOAD} --out reports/parity\n"
          f"  parity report reports/parity && parity gate reports/parity --policy {POLICY}\n"
          f"and commit the three files; {WORKFLOW} runs the same in CI.\n"
          f"In your own pytest tests, ask for `checkpointer`, `async_checkpointer` or `same_as_reference` to run them "
          f"on every backend (see the README).")
    return 0
