"""Server provisioning data for the fault studies: named per-family settings, looked up by family, never branched on."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Mapping

from parity import families


def _table(**by_family: dict[str, Any]) -> Mapping[str, Mapping[str, Any]]:
    return MappingProxyType({family: MappingProxyType(s) for family, s in by_family.items()})


# Nothing written to disk behind the studies' back: sizes, TTL and memory are then the server's in-memory state.
NO_PERSISTENCE = _table(**{name: families.get(name).no_persistence for name in families.names()})

# Every acknowledged write on disk before the reply: what the outage studies restart from.
PERSISTENT = _table(**{name: families.get(name).persistent for name in families.names()})


def settings(table: Mapping[str, Mapping[str, Any]], family: str) -> dict[str, Any]:
    """A mutable copy of one family's settings from a table, loud when the family is not provisioned there."""
    if family not in table:
        raise KeyError(f"no {family!r} entry in this settings table (has: {', '.join(sorted(table))})")
    return dict(table[family])
