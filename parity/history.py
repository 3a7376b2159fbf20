"""The run history: one compact line per run, so the report can show how the ratios move over time.

Kept in the user cache (parity.user_cache.history(): $XDG_CACHE_HOME or ~/.cache, /checkpoint-parity/history.jsonl)
so it outlives every run folder and is never written into the current folder; `parity run --history PATH` moves it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from parity.errors import ParityUsageError

RATIO_FIELDS = ("op", "flavour", "payload", "pairing", "numerator", "denominator", "median", "ci_low", "ci_high")


def _where(path: Path | str | None) -> Path:
    from parity import user_cache

    return Path(path) if path else user_cache.history()


def entry(doc: dict[str, Any]) -> dict[str, Any]:
    """The compact line for one run: identity, machine and the ratios (nothing else is needed for a trend)."""
    run = doc.get("run") or {}
    ratios = doc.get("ratios") if isinstance(doc.get("ratios"), list) else []
    return {
        "run_id": run.get("id"),
        "time": run.get("finished") or run.get("started"),
        "commit": run.get("git_commit"),
        "cpu_model": (doc.get("machine") or {}).get("cpu_model"),
        "provider": run.get("provider"),
        "ratios": [{k: r.get(k) for k in RATIO_FIELDS} for r in ratios if isinstance(r, dict)],
    }


def append(doc: dict[str, Any], path: Path | str | None = None) -> dict[str, Any]:
    """Append this run's line (once: a run id already in the file is not written again)."""
    p = _where(path)
    line = entry(doc)
    if line["run_id"] and any(e.get("run_id") == line["run_id"] for e in load(p)):
        return line
    from parity.files import append_line, make_dir

    fix = "give --history another file (or 'none')"
    make_dir(p.parent, fix)
    append_line(p, json.dumps(line, separators=(",", ":"), default=str) + "\n", fix)
    return line


def load(path: Path | str | None = None) -> list[dict[str, Any]]:
    """Every run in the file, oldest first; a missing file is an empty history."""
    p = _where(path)
    if not p.exists():
        return []
    out = []
    for number, text in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            item = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ParityUsageError(f"{p} line {number} is not JSON ({exc.msg})",
                                   "delete or repair that line; each line is one run") from None
        if not isinstance(item, dict):
            raise ParityUsageError(f"{p} line {number} is not a JSON object", "each line is one run")
        out.append(item)
    return out


def trend(path: Path | str | None = None, cpu_model: str | None = None,
          joining: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Rows for the report's trend section (doc["history"]): one per run and ratio, oldest first.

    With cpu_model, only runs on that CPU are kept (ratios travel between machines better than
    absolute latencies, but not perfectly). `joining`: a run's document about to join the history (its trend is
    saved with it, and it is appended once saved), counted as if it were in the file already.
    """
    runs = load(path)
    if joining is not None:
        line = entry(joining)
        if not any(e.get("run_id") == line["run_id"] for e in runs):
            runs.append(line)
    rows = []
    for run in runs:
        if cpu_model is not None and run.get("cpu_model") != cpu_model:
            continue
        for r in run.get("ratios") or []:
            if isinstance(r, dict) and isinstance(r.get("median"), (int, float)):
                rows.append({"run_id": str(run.get("run_id")), "time": run.get("time"), "commit": run.get("commit"),
                             **{k: r.get(k) for k in RATIO_FIELDS}})
    return sorted(rows, key=lambda r: str(r.get("time") or ""))
