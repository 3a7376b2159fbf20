"""Which storage a saver writes to, so a ShadowSaver can refuse a candidate that is the primary's own store."""

from __future__ import annotations

import re
from typing import Any

LOOPBACK = {"localhost", "127.0.0.1", "::1", ""}  # "" is a Unix socket: this machine too


def store_of(saver: Any) -> tuple | None:
    """(family, where...) for the built-in savers' storage; None when unknown (then nothing is refused)."""
    for recognise in (_memory, _postgres, _redis, _sqlite):
        try:
            found = recognise(saver)
        except Exception:  # noqa: BLE001 - a saver we cannot look into is simply not checked
            found = None
        if found is not None:
            return found
    return None


def describe(store: tuple) -> str:
    return " ".join(str(part) for part in store)


def _host(host: Any) -> str:
    text = str(host or "").lower()
    return "loopback" if text in LOOPBACK or text.startswith("/") else text


def _memory(saver: Any) -> tuple | None:
    from langgraph.checkpoint.memory import InMemorySaver

    return ("memory", f"storage@{id(saver.storage):x}") if isinstance(saver, InMemorySaver) else None


def _postgres(saver: Any) -> tuple | None:
    conn = getattr(saver, "conn", None)
    if conn is None or "psycopg" not in type(conn).__module__:
        return None
    if hasattr(conn, "info"):  # a connection
        params = {"host": conn.info.host, "port": conn.info.port, "dbname": conn.info.dbname,
                  "options": conn.info.get_parameters().get("options", "")}
    else:  # a psycopg_pool pool: its conninfo and connection kwargs
        from psycopg.conninfo import conninfo_to_dict

        params = conninfo_to_dict(conn.conninfo, **{k: v for k, v in conn.kwargs.items() if isinstance(v, (str, int))})
    found = re.search(r"search_path\s*=\s*([^\s]+)", str(params.get("options") or ""))
    return ("postgres", _host(params.get("host")), int(params.get("port") or 5432), str(params.get("dbname") or ""),
            f"search_path {found.group(1) if found else 'default'}")


def _redis(saver: Any) -> tuple | None:
    client = getattr(saver, "_redis", None)
    pool = getattr(client, "connection_pool", None)
    if pool is None:
        return None
    kw = pool.connection_kwargs
    return ("redis", _host(kw.get("host") or kw.get("path")), int(kw.get("port") or 6379), f"db {kw.get('db', 0)}",
            f"prefix {getattr(saver, '_checkpoint_prefix', '?')}")


def _sqlite(saver: Any) -> tuple | None:
    import sqlite3

    conn = getattr(saver, "conn", None)
    if not isinstance(conn, sqlite3.Connection):
        return None
    path = next((row[2] for row in conn.execute("PRAGMA database_list") if row[1] == "main"), "")
    return ("sqlite", path) if path else ("sqlite", f"memory@{id(conn):x}")  # "": an in-memory database
