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

KNOWN_PATH = Path(__file__).parents[1] / "known_divergences.toml"  # parity/known_divergences.toml


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
    # A waiver that explains some differences but not all: why the cell still fails, said in the report.
    partly_explained: dict[str, Any] | None = None
    # Generated findings (parity.generated): the shrunk input, how many examples ran, the repro script (DIR-relative).
    example: str | None = None
    examples_run: int | None = None
    repro: str | None = None
    # A rule of parity.judging.invariants the saver broke: {"kind": "promise"|"convention", "name", "call"}.
    contract: dict[str, str] | None = None
    # The saver call that raised first where the reference's did not (parity.judging.causes): the finding is named
    # after it, and the cells it fails are one root cause in the report and on the console.
    cause: str | None = None
    # The library versions it was seen on (parity.versions.seen_on): one set per run, several in a merged document
    # whose runs had different ones. Filled when the finding is recorded.
    versions: list[dict[str, str]] | None = None
    id: str = field(default="")

    def __post_init__(self) -> None:
        if not self.id:
            key = f"{self.backend}|{self.flavour}|{self.loop}|{self.scenario}|{self.workload}"
            self.id = hashlib.sha1(key.encode()).hexdigest()[:10]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# Ids that differ per run (e.g. the conformance suite's thread uuids, whole or shortened) do not make two otherwise
# equal diffs different bugs: the report groups findings and `parity merge` de-duplicates them by diff_key().
RUN_IDS = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{1,4}(?:[0-9a-f-]*|\.\.\.)[0-9a-f-]*[0-9a-f]\b", re.I)


def diff_key(diff: Any) -> str:
    return RUN_IDS.sub("<id>", str(diff or ""))


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
    entries = tomllib.loads(path.read_text()).get("divergence", [])
    for entry in entries:
        # A waiver must say which difference it waives; otherwise it would hide every other bug of the cell.
        if not entry.get("reason") or not entry.get("diff_pattern"):
            raise ValueError(f"{path}: every [[divergence]] needs a reason and a diff_pattern: {entry}")
    return entries


def match_known(finding: Finding, known: list[dict[str, Any]],
                hunk_sets: list[list[str]] | None = None) -> dict[str, Any] | None:
    """The first reviewed entry that explains every difference of every diverged run, or None.

    hunk_sets: per diverged run, its differences one at a time (parity.judging.differences.hunks). An entry waives a
    finding only when its `diff_pattern` (a multiline regular expression) occurs in EVERY one of them, so a
    cell that shows the known symptom and also another difference is not waived. Without hunk_sets (findings
    outside the compat matrix) the finding's diff counts as one difference.
    """
    runs = hunk_sets if hunk_sets is not None else [[finding.diff]]
    pieces = [h for hunks in runs for h in hunks]
    for entry in known:
        if not applies(entry, finding):
            continue
        pattern = re.compile(entry["diff_pattern"], re.MULTILINE)
        unexplained = [h for h in pieces if not pattern.search(h)]
        if not unexplained:
            return {"reason": entry.get("reason", ""), "upstream": entry.get("upstream")}
        if len(unexplained) < len(pieces) and finding.partly_explained is None:
            # Up to three: an extra record also renumbers the ids after it, and the first piece may be that echo.
            finding.partly_explained = {"reason": entry.get("reason", ""),
                                        "unexplained": "\n".join(unexplained[:3])[:1500]}
    return None


def applies(entry: dict[str, Any], finding: Finding) -> bool:
    """Whether an entry is about this finding's backend, scenario, flavour and loop (globs in the first two)."""
    return (fnmatch.fnmatchcase(finding.backend, entry.get("backend", "*"))
            and fnmatch.fnmatchcase(finding.scenario, entry.get("scenario", "*"))
            and entry.get("flavour") in (None, finding.flavour)
            and entry.get("loop") in (None, finding.loop))
