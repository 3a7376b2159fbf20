"""The tests' own venv: LangGraph's `test` dependency group, pinned to this environment's versions, cached per
langgraph version and made only when asked (`--install-test-deps`).

Why a separate venv: the group pins versions that clash with the suite's (uvloop==0.22.1 against our >=0.23), and
installing it here would change the environment the rest of the suite measures. Every package the team has installed
here (langgraph, its savers, a --parity-saver module, the suite itself) is pinned to the same version there, and this
environment's site-packages is appended to the venv's sys.path (a .pth file), so a saver module installed here only is
found there too, after the venv's own packages.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from parity.errors import ParityUsageError
from parity.langgraph_tests import sdist

STAMP = "parity-test-venv.json"  # what the venv was made from; another set of pins makes it stale
PTH = "zz_parity_outer_env.pth"  # sorted last: the venv's own packages come first on sys.path
# The caller's site-packages, set by the runner for each run: one cached venv serves every checkout and venv with the
# same pins (the venv was remade, 1-2 min, whenever make test ran from another checkout, e.g. a fresh clone).
OUTER_ENV = "PARITY_OUTER_SITE"


def venv_dir(version: str) -> Path:
    return sdist.version_dir(version) / "venv"


def python(version: str) -> Path:
    return venv_dir(version) / "bin" / "python"


def pins(requirements: list[str]) -> dict[str, str]:
    """This environment's version of what the tests' behaviour depends on: langgraph, langchain and every saver
    installed here (a distribution that requires langgraph-checkpoint), with their dependencies. Left out: what the
    group pins to another version (uvloop==0.22.1: the tests ask for that one), editable or local installs (not
    on the index), and the rest of this environment (pinning it all, e.g. a FastAPI the suite's service part
    brings, against langgraph-cli's own server made pip backtrack for over 6 minutes without an answer)."""
    group = {_canon(r.name): r for r in map(_parsed, requirements) if r is not None}
    dists = {_canon(d.metadata["Name"] or ""): d for d in metadata.distributions()}
    local = {name for name, d in dists.items() if _is_local(d)}
    out: dict[str, str] = {}
    for name in sorted(_closure(dists, _roots(dists)) - local):
        req = group.get(name)
        version = dists[name].version
        if req is not None and req.specifier and not req.specifier.contains(version, prereleases=True):
            continue
        out[name] = version
    return out


def _roots(dists: dict) -> set[str]:
    """langgraph and langchain distributions, and the savers: whatever requires langgraph-checkpoint (but not this
    suite, whose own tools the tests do not run on)."""
    roots = {n for n in dists if n.startswith(("langgraph", "langchain"))}
    return (roots | {n for n, d in dists.items() if "langgraph-checkpoint" in _requires(d)}) - {"checkpoint-parity"}


def _requires(dist) -> set[str]:
    """The distributions this one needs here (markers evaluated, no extras)."""
    out = set()
    for raw in dist.requires or []:
        req = _parsed(raw)
        if req is not None and (req.marker is None or req.marker.evaluate({"extra": ""})):
            out.add(_canon(req.name))
    return out


def _closure(dists: dict, roots: set[str]) -> set[str]:
    seen, todo = set(), [r for r in roots if r in dists]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += [n for n in _requires(dists[name]) if n in dists and n not in seen]
    return seen


def missing(version: str, requirements: list[str]) -> list[str]:
    """What stops the tests from running: no venv, or one made from other pins (names what differs); [] when ready."""
    stamp = venv_dir(version) / STAMP
    if not python(version).exists() or not stamp.exists():
        return [f"no test venv for langgraph {version} (its `{sdist.GROUP}` dependency group: "
                + ", ".join(unsatisfied(requirements)) + " are not installed here)"]
    made = json.loads(stamp.read_text())
    if made.get("digest") != _digest(requirements, pins(requirements)):
        changed = sorted(k for k, v in pins(requirements).items() if made.get("pins", {}).get(k) != v)
        return [f"the test venv of langgraph {version} was made for other versions of "
                + (", ".join(changed[:8]) + (" ..." if len(changed) > 8 else "") if changed else "its requirements")]
    return []


def unsatisfied(requirements: list[str]) -> list[str]:
    """The group's requirements this environment does not satisfy (absent, or another version)."""
    out = []
    for raw in requirements:
        try:
            req = Requirement(raw)
        except InvalidRequirement:
            out.append(raw)
            continue
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        try:
            have = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            out.append(raw)
            continue
        if req.specifier and not req.specifier.contains(have, prereleases=True):
            out.append(f"{raw} (have {have})")
    return list(dict.fromkeys(out))


def create(version: str, requirements: list[str], echo=print) -> Path:
    """Make (or remake) the venv; a half-made one never carries the stamp, so it is remade next time."""
    where = venv_dir(version)
    shutil.rmtree(where, ignore_errors=True)
    echo(f"langgraph-tests: making the test venv of langgraph {version} in {where} (about a minute or two)")
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, capture_output=True)
    fixed = pins(requirements)
    constraints = where / "constraints.txt"
    constraints.write_text("".join(f"{k}=={v}\n" for k, v in fixed.items()))
    reqs = where / "requirements.txt"
    reqs.write_text("".join(f"{r}\n" for r in requirements))
    out = subprocess.run([str(python(version)), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                          "-r", str(reqs), "-c", str(constraints)], capture_output=True, text=True)
    if out.returncode != 0:
        last = ([ln for ln in out.stderr.splitlines() if ln.startswith("ERROR")] or out.stderr.splitlines()
                or ["pip failed"])[-1][:300]
        raise ParityUsageError(f"could not install langgraph {version}'s test dependencies: {last}",
                               f"see {reqs} and {constraints}; fix the conflict or pin another langgraph version")
    _link_outer(where)
    (where / STAMP).write_text(json.dumps({"digest": _digest(requirements, fixed), "pins": fixed}, indent=1))
    return where


def outer_site() -> str:
    return sysconfig.get_paths()["purelib"]


def _link_outer(where: Path) -> None:
    """A .pth line that appends the calling environment's site-packages (and runs its .pth files: editable installs):
    the one the runner names in OUTER_ENV, else the one that made the venv."""
    inner = subprocess.run([str(where / "bin" / "python"), "-c", "import sysconfig;print(sysconfig.get_paths()['purelib'])"],
                           capture_output=True, text=True, check=True).stdout.strip()
    line = f"import os, site; site.addsitedir(os.environ.get({OUTER_ENV!r}) or {outer_site()!r})\n"
    Path(inner, PTH).write_text(line)


def _digest(requirements: list[str], fixed: dict[str, str]) -> str:
    # The Python version, not the interpreter's path: the venv is made from the same base Python by any venv of it.
    python_ = f"{sys.implementation.name}-{sys.version_info[0]}.{sys.version_info[1]}"
    return hashlib.sha256(json.dumps([requirements, fixed, python_]).encode()).hexdigest()[:16]


def _parsed(raw: str) -> Requirement | None:
    try:
        return Requirement(raw)
    except InvalidRequirement:
        return None


def _canon(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _is_local(dist) -> bool:
    """Editable or installed from a local path: pip could not fetch that version from the index."""
    try:
        direct = dist.read_text("direct_url.json") or ""
    except OSError:
        return False
    return '"dir_info"' in direct or '"url": "file:' in direct
