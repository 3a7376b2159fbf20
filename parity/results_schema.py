"""Validate a results document against parity/schema/results.schema.json, failing with one line."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, relevance

from parity.errors import ParityUsageError
from parity.results import SCHEMA_PATH


@lru_cache(maxsize=1)
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def errors(doc: Any) -> list[ValidationError]:
    """All schema errors, the first in document order first (then the most relevant)."""
    found = list(validator().iter_errors(doc))
    return sorted(found, key=lambda e: (_path_key(e), relevance(e)))


def validate(doc: Any) -> None:
    """Raise ParityUsageError naming the first invalid path; return None when doc is valid."""
    found = errors(doc)
    if not found:
        return
    first = found[0]
    more = f" (+{len(found) - 1} more)" if len(found) > 1 else ""
    raise ParityUsageError(
        f"results document invalid at {error_path(first)}: {_describe(first)}{more}",
        "fix the producer that wrote this row, or re-run `parity run`",
    )


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
    return _one_line(error.message)


def _path_key(error: ValidationError) -> tuple:
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in error.absolute_path)


def _one_line(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
