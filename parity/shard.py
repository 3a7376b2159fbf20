"""`--shard K/N`: a deterministic 1/N of the compat matrix per runner; bench and faults run whole in one shard.

Every shard collects the same matrix and computes the same plan, so the N shards together run each matrix item
exactly once, on any machine and Python: the order comes from a SHA-256 of the item's id (never Python's salted
hash()), and the load from the durations a previous results.json recorded (`--shard-durations`), else from the
item count. Parts marked `parity_whole` (bench, faults) are never split: ratios from two machines must never be
pooled, so the shard that owns them (OWNER) runs them whole and the others leave them out, saying so.
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parity.errors import ParityUsageError

OWNER = 1  # the shard that runs bench and faults whole
WHOLE_MARK = "parity_whole"


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based, as written: --shard 2/3
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @property
    def owns_whole_parts(self) -> bool:
        return self.index == OWNER


def parse(value: Any, given: dict[str, Any] | None = None) -> Shard | None:
    """The option's resolver: "K/N" with 1 <= K <= N, or None when not given."""
    if value is None or value == "":
        return None
    if isinstance(value, Shard):
        return value
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(value))
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise ParityUsageError(f"--shard {value}: expected K/N with 1 <= K <= N, e.g. 2/3",
                               "give this runner's shard number and the number of shards")
    return Shard(int(match.group(1)), int(match.group(2)))


def load_durations(value: Any, given: dict[str, Any] | None = None) -> Path | None:
    """The option's resolver for --shard-durations: a readable results.json (or its run directory)."""
    if not value:
        return None
    path = Path(value)
    path = path / "results.json" if path.is_dir() else path
    durations(path)  # bad input fails here, once, in one line
    return path


def durations(path: Path) -> dict[str, float]:
    """{cell id: seconds} from a previous results.json; an id seen on several platforms keeps its longest."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ParityUsageError(f"--shard-durations {path}: cannot read a results document ({exc})",
                               "give the results.json of an earlier run, or leave the option out") from None
    cells = doc.get("cells") if isinstance(doc, dict) else None
    if not isinstance(cells, list):
        raise ParityUsageError(f"--shard-durations {path}: no cells in it",
                               "give the results.json of an earlier compat run")
    out: dict[str, float] = {}
    for c in cells:
        if isinstance(c, dict) and isinstance(c.get("duration_s"), (int, float)) and c.get("id"):
            key = current_id(c["id"])
            out[key] = max(out.get(key, 0.0), float(c["duration_s"]))
    return out


# Sync cells named the default loop before they ran without one (`t[redis-sync-selector]`, now `t[redis-sync]`):
# the durations of such a run still weigh today's cells.
_OLD_SYNC_ID = re.compile(r"(?<=-sync)-(?:selector|proactor|uvloop|winloop)(?=[\]-])")


def current_id(cell_id: str) -> str:
    return _OLD_SYNC_ID.sub("", cell_id)


def stable_hash(item_id: str) -> str:
    return hashlib.sha256(item_id.encode("utf-8")).hexdigest()


def plan(ids: list[str], count: int, weights: dict[str, float] | None = None,
         idle: frozenset[str] = frozenset()) -> dict[str, int]:
    """{id: shard index 1..count}. Without weights: dealt in hash order, items that will run before items skipped
    at collection (so each shard gets its share of both). With weights: longest first onto the least loaded shard
    (ties: fewest items, then lowest index); an id without a recorded duration weighs the median."""
    order = sorted(ids, key=lambda i: (i in idle, stable_hash(i)))
    if weights is None:
        return {item_id: n % count + 1 for n, item_id in enumerate(order)}
    known = [w for i, w in weights.items() if i in set(ids)]
    typical = statistics.median(known) if known else 1.0
    weight = {i: (0.0 if i in idle else weights.get(i, typical)) for i in ids}
    load, items = [0.0] * count, [0] * count
    out = {}
    for item_id in sorted(order, key=lambda i: -weight[i]):  # stable: ties keep the hash order
        k = min(range(count), key=lambda s: (round(load[s], 9), items[s], s))
        load[k] += weight[item_id]
        items[k] += 1
        out[item_id] = k + 1
    return out


def fingerprint(ids: list[str], count: int, weights: dict[str, float] | None) -> str:
    """What the plan depends on: the same collected matrix, shard count and durations give the same value, so
    `parity merge` can tell shards of one plan from shards of two."""
    h = hashlib.sha256(f"{count}\n".encode())
    for item_id in sorted(ids):
        h.update(f"{item_id}\t{(weights or {}).get(item_id, '')}\n".encode())
    h.update(b"weighted" if weights is not None else b"count")
    return h.hexdigest()[:16]


def select(items: list, shard: Shard, durations_path: Path | None) -> tuple[list, list, dict[str, Any]]:
    """(kept, deselected, the run's shard record) for one shard of the collected items."""
    whole = [i for i in items if i.get_closest_marker(WHOLE_MARK)]
    matrix = [i for i in items if not i.get_closest_marker(WHOLE_MARK)]
    weights = durations(durations_path) if durations_path else None
    ids = [i.nodeid for i in matrix]
    idle = frozenset(i.nodeid for i in matrix if _skipped_at_collection(i))
    assigned = plan(ids, shard.count, weights, idle)
    kept = [i for i in matrix if assigned[i.nodeid] == shard.index]
    kept_whole = whole if shard.owns_whole_parts else []
    parts = sorted({m.args[0] for i in whole for m in i.iter_markers(WHOLE_MARK) if m.args})
    record = {"index": shard.index, "count": shard.count, "balance": "durations" if weights is not None else "count",
              "plan": fingerprint(ids, shard.count, weights), "cells_selected": len(kept), "cells_total": len(ids),
              "whole_parts": parts, "whole_parts_owner": OWNER, "whole_parts_here": bool(kept_whole)}
    keep_ids = {id(i) for i in kept + kept_whole}
    return ([i for i in items if id(i) in keep_ids], [i for i in items if id(i) not in keep_ids], record)


def _skipped_at_collection(item) -> bool:
    return any(m.name == "skip" for m in item.iter_markers())


def describe(record: dict[str, Any]) -> str:
    """One line for the terminal: what this shard runs and where bench and faults run."""
    balance = "recorded durations" if record.get("balance") == "durations" else "item count"
    line = (f"shard {record['index']}/{record['count']}: {record['cells_selected']} of {record['cells_total']} "
            f"compat matrix items (balanced by {balance}; plan {record['plan']})")
    parts = " and ".join(record.get("whole_parts") or ()) or "bench and faults"
    owner = record.get("whole_parts_owner", OWNER)
    here = "run here, whole" if record.get("whole_parts_here") else "not here"
    return f"{line}; {parts} run whole in shard {owner}/{record['count']} ({here})"


def mark_whole(items: list, directory: Path, part: str) -> None:
    """A part's conftest declares its items unsplittable: they run whole in the owning shard, never under -n."""
    import pytest

    for item in items:
        if Path(item.path).is_relative_to(directory):
            item.add_marker(pytest.mark.parity_whole(part))
