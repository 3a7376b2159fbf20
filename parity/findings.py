"""Divergences as data: findings, and the reviewed list of known upstream divergences that waives them."""

from __future__ import annotations

import fnmatch
import hashlib
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

KNOWN_PATH = Path(__file__).parent / "known_divergences.toml"


@dataclass
class Finding:
    backend: str
    flavour: str
    loop: str | None
    scenario: str
    claim: str
    summary: str
    diff: str
    seen: int = 1
    runs: int = 1
    known: dict[str, Any] | None = None
    workload: str | None = None
    id: str = field(default="")

    def __post_init__(self) -> None:
        if not self.id:
            key = f"{self.backend}|{self.flavour}|{self.loop}|{self.scenario}|{self.workload}"
            self.id = hashlib.sha1(key.encode()).hexdigest()[:10]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class DivergenceError(AssertionError):
    """Raised when a cell's trace differs from the reference and no known divergence covers it."""

    def __init__(self, finding: Finding) -> None:
        self.finding = finding
        rate = f" in {finding.seen} of {finding.runs} runs" if finding.runs > 1 else ""
        super().__init__(f"{finding.backend}/{finding.flavour} diverges from the reference{rate}: "
                         f"{finding.summary}\n{finding.diff}")


def load_known(path: Path = KNOWN_PATH) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return tomllib.loads(path.read_text()).get("divergence", [])


def match_known(finding: Finding, known: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first reviewed entry covering this finding (backend and scenario globs, optional flavour/loop).

    An entry may also name the difference it waives: `diff_pattern`, a regular expression (multiline) that
    must occur in the finding's diff. Without it any difference of that cell would be waived, so entries for
    one symptom of a scenario that also observes other things should always give one.
    """
    for entry in known:
        pattern = entry.get("diff_pattern")
        if pattern and not re.search(pattern, finding.diff, re.MULTILINE):
            continue
        if not fnmatch.fnmatchcase(finding.backend, entry.get("backend", "*")):
            continue
        if not fnmatch.fnmatchcase(finding.scenario, entry.get("scenario", "*")):
            continue
        if entry.get("flavour") not in (None, finding.flavour):
            continue
        if entry.get("loop") not in (None, finding.loop):
            continue
        return {"reason": entry.get("reason", ""), "upstream": entry.get("upstream")}
    return None
