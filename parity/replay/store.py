"""What the replay knows of a source: its read-only reader, its description, and which storage it is."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, ContextManager
from urllib.parse import unquote, urlsplit


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
    kind: str  # the family (or serverless backend) whose saver wrote it
    url: str  # masked: stored in results.json
    reader: ReadOnlyReader
    schema_version: int | None
    store: tuple  # what identifies the storage, to refuse a target that is the same store
    threads: Callable[[datetime | None], list[str]]  # thread ids with a checkpoint at/after since (None: all)
    notes: list[str] = field(default_factory=list)  # what this source cannot give (said in the report)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "url": self.url, "schema_version": self.schema_version, "notes": self.notes}


@dataclass(frozen=True)
class ReplayReader:
    """How the replay reads one kind of store (a family's, Family.replay_reader(), or a serverless backend's)."""

    schemes: tuple[str, ...]  # the --from URL schemes it reads
    example: str  # a --from URL of it, for the one-line usage error
    scope_option: str | None  # the option naming a namespace in the store ("--from-schema"), None: it has none
    open: Callable[[str, str | None], ContextManager[Source]]  # (url, scope) -> the store, read-only


def store_of(url: str) -> tuple:
    """(family, host, port, database): two URLs naming the same storage give the same tuple (Family.url_store);
    a file's URL gives (scheme, its resolved path)."""
    from parity import families

    for name in families.names():
        found = families.get(name).url_store(url)
        if found is not None:
            return found
    parts = urlsplit(url)
    return (parts.scheme.lower(), str(Path(unquote(parts.path)).resolve()))
