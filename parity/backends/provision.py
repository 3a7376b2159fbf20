"""Per-family provisioning of a run-scoped namespace, and removal of that namespace only (never FLUSHDB/DROP DATABASE)."""

from __future__ import annotations

import re

SCOPE_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def check_scope(scope: str) -> str:
    # The scope is spliced into a schema name and a key pattern: allow only a safe identifier.
    if not SCOPE_RE.match(scope):
        raise ValueError(f"unsafe scope name {scope!r}")
    return scope


def redis_drop_scope(client, scope: str) -> int:
    """Delete every key and search index under scope; returns keys removed."""
    check_scope(scope)
    mine = scope + "_"  # "parity_x_1" must not match "parity_x_10"
    for name in client.execute_command("FT._LIST") or []:
        name = name.decode() if isinstance(name, bytes) else name
        if name.startswith(mine):
            client.execute_command("FT.DROPINDEX", name)
    removed = _drop_write_registries(client, scope)
    batch: list = []
    for key in client.scan_iter(match=f"{mine}*", count=1000):
        batch.append(key)
        if len(batch) >= 500:
            removed += client.unlink(*batch)
            batch.clear()
    if batch:
        removed += client.unlink(*batch)
    return removed


def postgres_url_with_schema(url: str, scope: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{check_scope(scope)}"


def create_scope_sql(scope: str) -> str:
    return f'CREATE SCHEMA IF NOT EXISTS "{check_scope(scope)}"'


def drop_scope_sql(scope: str) -> str:
    """Drops the run-scoped schema only: never a database, never another schema."""
    return f'DROP SCHEMA IF EXISTS "{check_scope(scope)}" CASCADE'


def postgres_create_scope(conn, scope: str) -> None:
    conn.execute(create_scope_sql(scope))


def postgres_drop_scope(conn, scope: str) -> None:
    conn.execute(drop_scope_sql(scope))


def _drop_write_registries(client, scope: str) -> int:
    """langgraph-checkpoint-redis keeps `write_keys_zset:*` registries outside checkpoint_prefix; ours are the
    ones whose members (write keys) live under our scope."""
    doomed = []
    for key in client.scan_iter(match="write_keys_zset:*", count=1000):
        members = client.zrange(key, 0, 0)
        if members and (members[0].decode() if isinstance(members[0], bytes) else members[0]).startswith(scope + "_"):
            doomed.append(key)
    return client.unlink(*doomed) if doomed else 0
