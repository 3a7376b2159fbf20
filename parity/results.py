"""The one versioned results document that every part writes into and every renderer reads."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import uuid
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from parity import layout
from parity import platforms
from parity import sections
from parity.errors import ParityUsageError

# 2: the run's platform block (OS, Python, CPU architecture), run.shard, and merged documents (`parity merge`):
#    platforms, runs, cells/rows tagged with platform and run, findings with their platforms, claims by platform.
#    A version-1 document is read as version 2 with its platform taken from its machine block.
SCHEMA_VERSION = 2

# The harness's own stack; the built-in backends and each family add what their savers run on (library_names()).
LIBRARIES = ("langgraph", "langgraph-checkpoint", "pytest", "pytest-asyncio", "uvloop", "checkpoint-parity")


def library_names() -> tuple[str, ...]:
    from parity.backends.builtin import packages

    return (*LIBRARIES[:2], *packages(), *LIBRARIES[2:])


def new_document(provider: str = "", profile: str = "") -> dict[str, Any]:
    now = datetime.now(timezone.utc)
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "run": {
            "id": now.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6],
            "started": now.isoformat(),
            "finished": None,
            "git_commit": git_commit(),
            **layout.describe(),  # suite_version and install (checkout or wheel)
            "provider": provider,
            "profile": profile,
        },
        "machine": machine_info(),
        "platform": platforms.current(),
        "versions": library_versions(),
    }
    for section in sections.declared():  # the sections every document has, empty until a part writes to them
        if section.empty:
            doc[section.name] = [] if section.rows else {}
    return doc


def git_commit() -> str | None:
    """The suite's own commit; None when installed (a venv inside the team's repository would give theirs)."""
    if layout.describe()["install"] != "checkout":
        return None
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=5, cwd=Path(__file__).parent)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def machine_info() -> dict[str, Any]:
    import psutil

    return {
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_bytes": psutil.virtual_memory().total,
        "os": f"{platform.system()} {platform.release()}",
        "platform": platform.platform(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def library_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in library_names():
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def merge(doc: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
    """Fold a partial document (an xdist worker's) into doc: rows appended, objects updated."""
    rows_ = sections.row_sections()
    for key, value in part.items():
        if key in rows_:
            doc.setdefault(key, []).extend(value)
        elif isinstance(value, dict) and isinstance(doc.get(key), dict):
            doc[key].update(value)
        elif key not in ("schema_version", "run"):
            doc[key] = value
    return doc


def rows(doc: dict[str, Any], section: str) -> list[dict[str, Any]]:
    """The rows of a list section, the one reader for renderers, gate and compare; tolerant of a missing or
    malformed section (a document from an older or interrupted run)."""
    value = doc.get(section)
    return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []


def save(doc: dict[str, Any], out_dir: Path) -> Path:
    """DIR/results.json, validated first (the writer's check: an invalid row or an undeclared section is one
    ParityUsageError line and no file), then written whole or not at all (an interrupted run or a full disk never
    leaves half a document; a failed write is one ParityUsageError line naming the path, parity.files).

    The one save of every command's document: readers of what it wrote need not validate it again."""
    from parity.results_schema import validate

    validate(doc, writing=True)
    return _write(doc, out_dir)


def save_part(doc: dict[str, Any], out_dir: Path) -> Path:
    """An xdist worker's rows for the controller, which merges them and saves (and validates) the document."""
    return _write(doc, out_dir)


def _write(doc: dict[str, Any], out_dir: Path) -> Path:
    from parity.files import make_dir, write_atomic

    make_dir(out_dir)
    return write_atomic(out_dir / "results.json", json.dumps(doc, indent=1, sort_keys=False, default=str))


def _other_schema(path: Path, doc: Any, version: Any) -> ParityUsageError:
    """A document of another schema: name the suite version that wrote it when the document says (run.suite_version)."""
    run = doc.get("run") if isinstance(doc, dict) else None
    wrote = run.get("suite_version") if isinstance(run, dict) else None
    what = (f"{path} has schema_version {version!r}, this parity ({layout.version() or 'checkout'}) reads "
            f"{SCHEMA_VERSION}" if version is not None else f"{path} has no schema_version: not a results.json of "
            "checkpoint-parity, or one older than schema 1")
    reader = f'pip install "checkpoint-parity=={wrote}"' if wrote else "the checkpoint-parity version that wrote it"
    return ParityUsageError(what, f"re-run `parity run` to write it anew, or read it with {reader}")


def read(path: Path | str) -> dict[str, Any]:
    """A saved document for a command that reads it (report, gate, compare): loaded and validated, since it may
    come from another version or machine, or have been edited since."""
    from parity.results_schema import validate

    doc = load(path)
    validate(doc)
    return doc


def load(path: Path | str) -> dict[str, Any]:
    """results.json (or DIR/results.json) as written, version 1 read as version 2; not validated (see read())."""
    p = Path(path)
    if p.is_dir():
        p = p / "results.json"
    if not p.exists():
        raise ParityUsageError(f"no results document at {p}", "give a run directory from `parity run --out DIR`")
    try:
        doc = json.loads(p.read_text())
    except json.JSONDecodeError as exc:
        raise ParityUsageError(f"{p} is not valid JSON ({exc.msg} at line {exc.lineno})",
                               "re-run `parity run` to regenerate it") from None
    version = doc.get("schema_version") if isinstance(doc, dict) else None
    if version == 1:  # the same document without a platform block: add it, from its machine block
        doc["schema_version"], doc["platform"] = SCHEMA_VERSION, platforms.of(doc)
        return doc
    if version != SCHEMA_VERSION:
        raise _other_schema(p, doc, version)
    return doc
