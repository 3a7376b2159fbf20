"""The savers of a run, opened with the suite's opener (the same registry, `--parity-saver` parsing and factories as
every other command), and the `@NAME` ids they carry in LangGraph's test ids."""

from __future__ import annotations

import re
from typing import Any

from parity.roles import REFERENCE as MEMORY
from parity.backends.backend import SaverContext
from parity.backends.registry import registry_with
from parity.servers.endpoint import Endpoint

PREFIX = "@"  # test_x[sync-@redis]: a character LangGraph's own parameter ids do not use
# InMemorySaver keeps LangGraph's own id: its syrupy snapshots (tests/__snapshots__/*.ambr) are named
# test_x[memory], and a snapshot test under another id fails as "snapshot does not exist".


def param_id(name: str) -> str:
    return MEMORY if name == MEMORY else f"{PREFIX}{name}"


def test_key(nodeid: str, idlist: list[str], position: int) -> str:
    """The test without its saver: the saver's entry of the id list replaced by "@" (test_x[sync-@])."""
    base = nodeid.split("[", 1)[0]
    return f"{base}[{'-'.join(PREFIX if i == position else part for i, part in enumerate(idlist))}]"


def split_id(nodeid: str, names: list[str]) -> tuple[str, str] | None:
    """(the test with the saver's id taken out, the saver's name), or None if no known saver's id is in it.
    Fallback for outcome lines without the plugin's own test key; ambiguous for memory beside another "memory"."""
    for name in sorted(names, key=len, reverse=True):  # redis-shallow before redis
        m = re.search(rf"(?<=[\[-]){re.escape(param_id(name))}(?=[\]-])", nodeid)
        if m:
            return nodeid[:m.start()] + PREFIX + nodeid[m.end():], name
    return None


class Opener:
    """Opens a chosen saver by name in LangGraph's test process, on the servers the parent command started."""

    def __init__(self, saver_specs: list[str], flavours: dict[str, list[str]], urls: dict[str, str]) -> None:
        self.registry = registry_with(saver_specs)
        self.flavours = flavours  # name -> the flavours the parent found the saver has
        self.urls = urls  # family -> URL of the server the parent started (or was given)

    def names(self, flavour: str) -> list[str]:
        return [n for n, fl in self.flavours.items() if flavour in fl]

    def open(self, name: str, flavour: str, scope: str) -> Any:
        """The one call site of the suite's saver opener here (a context manager, async for flavour "async")."""
        backend = self.registry.get(name)
        url = self.urls.get(backend.family or "")
        endpoint = Endpoint(backend.family, url, provider="given", owned=False) if backend.family and url else None
        return backend.saver(flavour, SaverContext(endpoint, scope))
