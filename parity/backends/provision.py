"""The name of a run-scoped namespace, checked before any family splices it into a schema name or key pattern.

Creating and removing a scope is per family (`Family.create_scope` / `drop_scope` in parity/families/): a key
prefix on Redis, a schema on Postgres, and only that scope, never FLUSHDB / DROP DATABASE.
"""

from __future__ import annotations

import re

SCOPE_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def check_scope(scope: str) -> str:
    # The scope is spliced into a schema name and a key pattern: allow only a safe identifier.
    if not SCOPE_RE.match(scope):
        raise ValueError(f"unsafe scope name {scope!r}")
    return scope
