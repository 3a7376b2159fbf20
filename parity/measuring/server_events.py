"""Server-side events during a measurement window, from the servers' own statistics.

Why a timing moved between two windows is often on the server: a fork for a snapshot, a rewrite of a log, a
checkpoint writing buffers, a vacuum worker. `Events` reads each family's counters (Family.stats_reader) before and
after a window (outside the timed calls) and gives the deltas as a flat dict, keys prefixed by the family's own
event names, that goes on the measurement rows as `server_events`. Nothing here changes a server setting.
"""

from __future__ import annotations

import time
from typing import Any

from parity import families



def what() -> str:
    """What the server_events of a row are, every family's statistics in its own words (Family.events_what)."""
    return ("server_events: deltas of the servers' own statistics over the timed window of one op (read before and "
            "after it, outside the timed calls): " + "; ".join(families.get(f).events_what for f in families.names()))


class Events:
    """Probes for every server endpoint of a measurement; `mark()` before a window, `since(mark)` after it."""

    def __init__(self, endpoints: dict[str, Any], schemas: list[str] | None = None) -> None:
        self.endpoints, self.schemas = endpoints, list(schemas or [])
        self.readers: dict[str, Any] = {}
        self.unavailable: dict[str, str] = {}

    def open(self) -> "Events":
        for family, ep in sorted(self.endpoints.items()):
            if ep is None:
                continue
            try:
                self.readers[family] = families.get(family).stats_reader(ep.url, self.schemas)
            except Exception as exc:  # statistics are context; a server refusing them must not fail the measurement
                self.unavailable[family] = f"{type(exc).__name__}: {str(exc)[:120]}"
        return self

    def close(self) -> None:
        for p in self.readers.values():
            try:
                p.close()
            except Exception:
                pass
        self.readers = {}

    def __enter__(self) -> "Events":
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    def mark(self) -> dict[str, Any]:
        snap: dict[str, Any] = {"_t": time.monotonic()}
        for family, p in self.readers.items():
            try:
                snap[family] = p.read()
            except Exception as exc:
                snap[family] = exc
        return snap

    def since(self, mark: dict[str, Any]) -> dict[str, Any]:
        """Deltas since `mark`, every family merged into one flat dict (keys prefixed by Family.events_prefix)."""
        now = self.mark()
        out: dict[str, Any] = {"window_s": round(now["_t"] - mark["_t"], 3)}
        for family, p in self.readers.items():
            a, b = mark.get(family), now.get(family)
            if isinstance(a, dict) and isinstance(b, dict):
                try:
                    out.update(p.delta(a, b))
                    continue
                except Exception as exc:
                    err = exc
            else:
                err = a if isinstance(a, Exception) else b
            out[f"{_prefix(family)}unavailable"] = f"{type(err).__name__}: {str(err)[:120]}"
        for family, why in self.unavailable.items():
            out[f"{_prefix(family)}unavailable"] = why
        return out


def _prefix(family: str) -> str:
    return families.get(family).events_prefix


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def describe(ev: dict[str, Any] | None) -> str:
    """The notable events of one window in words ("1 Redis fork (BGSAVE), 1 autovacuum"), "none" if quiet: each
    family says its own (Family.describe_events)."""
    if not ev:
        return "not recorded"
    parts = [part for f in families.names() for part in families.get(f).describe_events(ev, _plural)]
    gone = [k.removesuffix("_unavailable") for k in ev if k.endswith("_unavailable")]
    text = ", ".join(parts) if parts else "no server events"
    return text + (f" (statistics unavailable: {', '.join(gone)})" if gone else "")


def notable(ev: dict[str, Any] | None) -> dict[str, Any]:
    """The event fields that can explain a latency shift, zero/false ones dropped (window length, expiries out)."""
    keys = {k for f in families.names() for k in families.get(f).notable_events()}
    return {k: v for k, v in (ev or {}).items() if k in keys and v}
