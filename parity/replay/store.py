"""What the replay knows of a source: its read-only reader, its description, and which storage it is."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable
from urllib.parse import unquote, urlsplit

LOOPBACK = {"localhost", "127.0.0.1", "::1", ""}  # "" is a Unix socket: the same machine too


class ReadOnlyReader:
    """The only face of the source the replay sees: list and get_tuple. There is no put, by construction."""

    def __init__(self, saver) -> None:
        self._saver = saver

    def list(self, config):
        return list(self._saver.list(config))

    def get_tuple(self, config):
        return self._saver.get_tuple(config)


@dataclass
class Source:
    kind: str  # "postgres" | "sqlite" | "redis"
    url: str  # masked: stored in results.json
    reader: ReadOnlyReader
    schema_version: int | None
    store: tuple  # what identifies the storage, to refuse a target that is the same store
    threads: Callable[[datetime | None], list[str]]  # thread ids with a checkpoint at/after since (None: all)
    notes: list[str] = field(default_factory=list)  # what this source cannot give (said in the report)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "url": self.url, "schema_version": self.schema_version, "notes": self.notes}


def store_of(url: str) -> tuple:
    """(family, host, port, database): two URLs naming the same storage give the same tuple."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    host = "loopback" if host in LOOPBACK else host
    if parts.scheme.lower() in ("postgresql", "postgres"):
        return ("postgres", host, parts.port or 5432, unquote(parts.path.lstrip("/")) or (parts.username or ""))
    if parts.scheme.lower() in ("redis", "rediss"):
        return ("redis", host, parts.port or 6379, unquote(parts.path.lstrip("/")) or "0")
    return (parts.scheme.lower(), str(Path(unquote(parts.path)).resolve()))
