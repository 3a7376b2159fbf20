"""The lowest-versions job's pins (.ci/lowest-versions.txt) are pyproject's lower bounds, and those bounds are what the
official savers accept: the job tests the floor the package claims, not another one."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PINS = ROOT / ".ci" / "lowest-versions.txt"
OFFICIAL_SAVERS = ("langgraph-checkpoint-redis", "langgraph-checkpoint-postgres", "langgraph-checkpoint-sqlite")


def _requirements() -> list[Requirement]:
    """pyproject's dependencies that apply on this platform (a Windows-only one is not installable here)."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    reqs = [Requirement(d) for d in deps]
    return [r for r in reqs if r.marker is None or r.marker.evaluate()]


def lower_bound(req: Requirement) -> str | None:
    bounds = [s.version for s in req.specifier if s.operator == ">="]
    return max(bounds, key=Version) if bounds else None


def pins() -> dict[str, str]:
    out = {}
    for line in PINS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            out[canonicalize_name(name)] = version.strip()
    return out


def test_every_lower_bound_is_pinned_and_nothing_else():
    bounds = {canonicalize_name(r.name): lower_bound(r) for r in _requirements()}
    missing_bound = sorted(n for n, b in bounds.items() if b is None)
    assert not missing_bound, f"dependencies without a tested lower bound (>=) in pyproject.toml: {missing_bound}"
    assert pins() == bounds, (f"{PINS.relative_to(ROOT)} must pin every dependency at pyproject's lower bound; "
                              f"expected {bounds}, pinned {pins()}")


@pytest.mark.parametrize("saver", OFFICIAL_SAVERS)
def test_the_checkpoint_floor_is_one_the_installed_official_savers_accept(saver):
    """A floor below what the saver requires would claim support for a set pip never installs together."""
    floor = pins()["langgraph-checkpoint"]
    wanted = [r for r in map(Requirement, metadata.requires(saver) or ())
              if canonicalize_name(r.name) == "langgraph-checkpoint" and (r.marker is None or r.marker.evaluate())]
    assert wanted, f"{saver} declares no langgraph-checkpoint requirement"
    assert all(r.specifier.contains(floor) for r in wanted), \
        f"{saver} {metadata.version(saver)} requires {[str(r.specifier) for r in wanted]}; the floor is {floor}"


def test_the_langgraph_floor_accepts_the_checkpoint_floor_where_it_is_installed():
    """On the lowest-versions venv (langgraph at its floor) the installed langgraph accepts langgraph-checkpoint's
    floor; elsewhere the pins say the same and the lowest-versions job installs them together."""
    if metadata.version("langgraph") != pins()["langgraph"]:
        pytest.skip(f"langgraph {metadata.version('langgraph')} is installed, not the floor {pins()['langgraph']} "
                    "(checked by .ci/lowest-versions.sh)")
    wanted = [r for r in map(Requirement, metadata.requires("langgraph") or ())
              if canonicalize_name(r.name) == "langgraph-checkpoint"]
    assert wanted and all(r.specifier.contains(pins()["langgraph-checkpoint"]) for r in wanted), wanted
