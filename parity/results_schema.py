"""The results schema and its validation, failing with one line.

parity/schema/results.schema.json holds the document's own blocks and the shapes of its rows; the vocabularies are
declared in Python and filled in here when the schema is used: the sections (parity/sections.py), the claim ids
(parity/verdicts.py CLAIM_TABLE), the verdicts, the parts, the cell statuses and the server events
(parity/statuses.py). So adding a claim, a section or a status is one place, and the schema never drifts from what
the code writes.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, relevance

from parity import sections, statuses, verdicts
from parity.errors import ParityUsageError

SCHEMA_PATH = Path(__file__).parent / "schema" / "results.schema.json"


def schema(writing: bool = False) -> dict[str, Any]:
    """The whole schema. `writing`: a writer's, which refuses a top-level key no section declares (a reader takes one:
    a newer run's section); a team's own section goes under `extensions`."""
    return copy.deepcopy(_schema(*_declarations(), writing))


def _declarations() -> tuple:
    """What the schema is made from, read when it is used (a test may declare one more claim, section or status)."""
    return (sections.declared(), verdicts.CLAIM_TABLE, verdicts.VERDICTS, statuses.declared(),
            statuses.SERVER_EVENTS)


@lru_cache(maxsize=1)
def _file() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=8)
def _schema(declared: tuple, claims: tuple, verdict_names: tuple, cell_statuses: tuple, events: tuple,
            writing: bool) -> dict[str, Any]:
    out = copy.deepcopy(_file())
    defs = out["$defs"]
    for s in declared:
        if s.shape and s.shape not in defs:
            raise ValueError(f"section {s.name!r} names shape {s.shape!r}, which the schema's $defs lack")
        out["properties"][s.name] = s.schema()
    out["required"] = [*out["required"], *(s.name for s in declared if s.is_required)]
    defs["claim_id"] = {**defs["claim_id"], "enum": [c.id for c in claims]}
    defs["verdict"] = {**defs["verdict"], "enum": list(verdict_names)}
    defs["part"] = {**defs["part"], "enum": sorted({s.part for s in declared if s.part})}
    defs["cell_status"] = {**defs["cell_status"], "enum": [s.name for s in cell_statuses]}
    defs["server_event"] = {**defs["server_event"], "enum": [e.name for e in events]}
    if writing:
        out["additionalProperties"] = False
    return out


@lru_cache(maxsize=8)
def _validator(*declarations_and_writing) -> Draft202012Validator:
    return Draft202012Validator(_schema(*declarations_and_writing))


def validator(writing: bool = False) -> Draft202012Validator:
    return _validator(*_declarations(), writing)


def errors(doc: Any, writing: bool = False) -> list[ValidationError]:
    """All schema errors, the first in document order first (then the most relevant)."""
    found = list(validator(writing).iter_errors(doc))
    return sorted(found, key=lambda e: (_path_key(e), relevance(e)))


def validate(doc: Any, writing: bool = False) -> None:
    """Raise ParityUsageError naming the first invalid path; return None when doc is valid. `writing`: the writer's
    check before the save (parity.results.save), which also refuses an undeclared section."""
    found = errors(doc, writing)
    if not found:
        return
    first = found[0]
    more = f" (+{len(found) - 1} more)" if len(found) > 1 else ""
    fix = ("declare the section in parity/sections.py, or put a team's own under doc['extensions'][NAME] (a "
           "pytest_parity_update_json hook)" if _undeclared(first) else
           "fix the producer that wrote this row, or re-run `parity run`")
    raise ParityUsageError(f"results document invalid at {error_path(first)}: {_describe(first)}{more}", fix)


def _undeclared(error: ValidationError) -> list[str]:
    """The top-level keys no section declares (a writer's error), else []."""
    if error.validator != "additionalProperties" or error.absolute_path:
        return []
    return sorted(set(error.instance) - set(error.schema.get("properties", {})))


def error_path(error: ValidationError) -> str:
    """`cells[3].status` style path; `(top level)` for the document itself."""
    out = ""
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _describe(error: ValidationError) -> str:
    if error.validator == "not" and error_path(error).endswith("url"):
        # Never echo the value: it is a URL with its password in clear.
        return "URL carries an unmasked password (store Endpoint.masked_url)"
    if _undeclared(error):
        return f"undeclared section(s) {', '.join(map(repr, _undeclared(error)))}"
    return _one_line(error.message)


def _path_key(error: ValidationError) -> tuple:
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in error.absolute_path)


def _one_line(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
