"""Cells whose evidence a server event spoiled (parity.servers.watch): harness errors with that cause, never findings.

A cell is spoiled when it did not pass and its window (setup start to call end) overlaps an event of the server it
ran on: the server died, restarted or stopped answering. A cell that passed ran to its end and matched the reference,
which a missing server cannot produce, so it stays evidence. The window starts at the server's last answer before the
event, so a cell that broke in the moment before the watch saw it is counted too: the doubt goes to the harness,
never to the saver. Claims, findings and the conformance rows are then computed without these cells.
"""

from __future__ import annotations

from typing import Any, Callable

# Statuses a server's absence can produce: an exception in the saver or the graph (failed, diverged, a divergence
# that matched a waiver by chance), or a broken setup (error).
SPOILABLE = ("failed", "diverged", "known-divergence", "error")
NOT_RUN = "not run: "  # the reason of a cell refused because its server was already down (plugin's parity_cell)


def mark(doc: dict[str, Any], events: list, windows: dict[str, tuple[float, float]],
         family_of: Callable[[str], str | None]) -> None:
    """Rewrite every spoiled cell row as an error naming its event; drop the findings and conformance rows only
    spoiled cells had; doc["server_events"]: each event with how many cells it spoiled and what they saw."""
    spoiled_by: dict[int, list[dict[str, Any]]] = {id(e): [] for e in events}
    dropped, kept = set(), set()
    for row in doc.get("cells") or []:
        event = _event_of(row, events, windows, family_of)
        if event is None:
            kept.update(row.get("finding_ids") or [])
            continue
        dropped.update(row.get("finding_ids") or [])
        _spoil(row, event)
        spoiled_by[id(event)].append(row)
    doc["findings"] = [f for f in doc.get("findings") or [] if f.get("id") not in dropped - kept]
    gone = {(r["backend"], r["flavour"], r["loop"] if r["flavour"] == "async" else None)
            for rows in spoiled_by.values() for r in rows if r["scenario"] == "test_conformance"}
    doc["conformance"] = [r for r in doc.get("conformance") or []
                          if (r.get("backend"), r.get("flavour"), r.get("loop")) not in gone]
    doc["server_events"] = [_described(e, spoiled_by[id(e)]) for e in events]


def _event_of(row, events, windows, family_of):
    window = windows.get(row.get("id", ""))
    if row.get("status") not in SPOILABLE or window is None:
        return None
    family = family_of(row.get("backend", ""))
    return next((e for e in events if e.server == family and e.overlaps(*window)), None)


def _spoil(row: dict[str, Any], event) -> None:
    saw = str(row.get("reason") or "")
    saw = "nothing (not run: the server was already down)" if saw.startswith(NOT_RUN) else saw
    from parity.servers.watch import clock_text

    row["spoiled_by"] = {"server": event.server, "event": event.what, "at": clock_text(event.at),
                         "line": event.line(), "saw": saw[:300]}
    row["status"] = "error"
    row["reason"] = f"harness error, not the saver: {event.line()}; the cell saw: {saw}"[:600]
    row["finding_ids"] = []


def _described(event, rows: list[dict[str, Any]]) -> dict[str, Any]:
    saw = list(dict.fromkeys(r["spoiled_by"]["saw"] for r in rows if not r["spoiled_by"]["saw"].startswith("nothing")))
    return {**event.to_dict(), "cells": len(rows), "saw": saw[:5]}


def evidence(doc: dict[str, Any]) -> dict[str, Any]:
    """The document as the claims read it: without the spoiled cells (their evidence never ran)."""
    return {**doc, "cells": [c for c in doc.get("cells") or [] if not c.get("spoiled_by")]}


def by_event(cells: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Spoiled cells grouped by the event line that spoiled them, in order of first appearance."""
    out: dict[str, list[dict[str, Any]]] = {}
    for c in cells:
        if c.get("spoiled_by"):
            out.setdefault(c["spoiled_by"]["line"], []).append(c)
    return out


def headline(spoiled_by: dict[str, Any]) -> str:
    """"the redis server died at 11:19:47 UTC": how a claim's reason names the event that spoiled its cells."""
    return f"the {spoiled_by['server']} server {spoiled_by['event']} at {spoiled_by['at']}"
