"""Which storage a saver writes to, so a ShadowSaver can refuse a candidate that is the primary's own store."""

from __future__ import annotations

from typing import Any


def store_of(saver: Any) -> tuple | None:
    """(family, where...) for the built-in savers' storage; None when unknown (then nothing is refused).

    The serverless backends and each family recognise their own savers (Family.saver_store)."""
    from parity import families
    from parity.backends import builtin

    recognisers = (builtin.memory_store, *(families.get(n).saver_store for n in families.names()), builtin.sqlite_store)
    for recognise in recognisers:
        try:
            found = recognise(saver)
        except Exception:  # noqa: BLE001 - a saver we cannot look into is simply not checked
            found = None
        if found is not None:
            return found
    return None


def describe(store: tuple) -> str:
    return " ".join(str(part) for part in store)
