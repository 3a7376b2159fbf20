"""A team's checkpoint store opened strictly read-only: which threads it holds, and a reader of their checkpoints.

Each family reads its own store (Family.replay_reader()); the serverless SqliteSaver file is read by sqlite_source."""

from __future__ import annotations

import contextlib
from typing import Iterator
from urllib.parse import urlsplit

from parity.errors import ParityUsageError
from parity.replay.store import ReplayReader, Source
from parity.servers.endpoint import mask_url


def readers() -> dict[str, ReplayReader]:
    """{kind: how the replay reads it}: every family that reads its store, then the serverless file."""
    from parity import families
    from parity.backends.builtin import SQLITE
    from parity.replay import sqlite_source

    out = {name: reader for name in families.names() if (reader := families.get(name).replay_reader()) is not None}
    return {**out, SQLITE: sqlite_source.READER}


def kind_of(url: str) -> str:
    scheme = urlsplit(url).scheme.lower()
    known = readers()
    for kind, reader in known.items():
        if scheme in reader.schemes:
            return kind
    examples = [reader.example for reader in known.values()]
    raise ParityUsageError(f"--from {mask_url(url)!r} is not a checkpoint store URL this replay reads",
                           f"give --from {', '.join(examples[:-1])} or {examples[-1]}")


@contextlib.contextmanager
def open_source(url: str, schema: str | None = None, prefix: str | None = None) -> Iterator[Source]:
    """The store at url, read-only: schema is a Postgres schema, prefix a RedisSaver checkpoint_prefix."""
    known = readers()
    kind = kind_of(url)
    scope = None
    for given, flag in ((schema, "--from-schema"), (prefix, "--from-prefix")):
        if given is None:
            continue
        if known[kind].scope_option != flag:
            needs = next((k for k, r in known.items() if r.scope_option == flag), "other")
            raise ParityUsageError(f"{flag} is for a {needs} source, not {kind}", f"leave {flag} out")
        scope = given
    with known[kind].open(url, scope) as source:
        yield source
