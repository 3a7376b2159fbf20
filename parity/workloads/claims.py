"""Workload verdicts: none of their own; workload cells are rows of `cells` (with "workload" set) that C12 reads."""

from __future__ import annotations

from typing import Any


def verdicts(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """No claim rows: returning a C12 row here would overwrite the compat part's C12 (claims.compute keeps the last)."""
    return []
