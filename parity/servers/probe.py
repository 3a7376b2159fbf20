"""Preflight probes of a server: version, modules, settings that matter, round-trip time; errors as one clear line."""

from __future__ import annotations

import socket
import statistics
import time
from typing import Any
from urllib.parse import urlsplit

from parity.errors import ParityUsageError
from parity.servers.endpoint import mask_url

CONNECT_TIMEOUT_S = 5  # every failure must be reported within 10 s
REQUIRED_REDIS_MODULES = {"ReJSON": "RedisJSON", "search": "RediSearch"}
PG_SETTINGS = ("server_version", "fsync", "synchronous_commit", "shared_buffers", "wal_level", "max_connections")
REDIS_SETTINGS = ("appendonly", "appendfsync", "save", "maxmemory", "maxmemory-policy")


def probe(family: str, url: str) -> dict[str, Any]:
    return probe_redis(url) if family == "redis" else probe_postgres(url)


def _rtt_ms(call, n: int = 20) -> float:
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(samples), 4)


def _check_url(url: str, schemes: tuple[str, ...], example: str) -> None:
    parts = urlsplit(url)
    try:
        parts.port
    except ValueError:
        raise ParityUsageError(f"malformed URL {mask_url(url)!r}: the port is not a number", f"use a URL like {example}") from None
    if parts.scheme not in schemes or not parts.hostname:
        raise ParityUsageError(f"malformed URL {mask_url(url)!r}", f"use a URL like {example}")


URL_FORMS = {"redis": (("redis", "rediss", "unix"), "redis://[:password@]host:6379/0"),
             "postgres": (("postgresql", "postgres"), "postgresql://user:password@host:5432/dbname")}


def check_url(family: str, url: str) -> None:
    """One line (ParityUsageError) for a URL that cannot be a server of this family, before anything connects."""
    _check_url(url, *URL_FORMS[family])


def probe_redis(url: str) -> dict[str, Any]:
    import redis

    check_url("redis", url)
    where = mask_url(url)
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT_S, socket_timeout=CONNECT_TIMEOUT_S)
        info = client.info("server")
        modules = {m[b"name"].decode() if isinstance(m[b"name"], bytes) else m[b"name"] for m in client.module_list()}
        config = {k: v for key in REDIS_SETTINGS for k, v in client.config_get(key).items() if k == key}
        rtt = _rtt_ms(client.ping)
        client.close()
    except redis.AuthenticationError:
        if urlsplit(url).password is None:
            raise ParityUsageError(f"Redis at {where} needs a password",
                                   "put it in the URL: redis://:PASSWORD@host:port/0") from None
        raise ParityUsageError(f"Redis at {where} rejected the credentials", "check the password in REDIS_URL") from None
    except redis.ResponseError as exc:
        if "NOAUTH" in str(exc) or "WRONGPASS" in str(exc):
            raise ParityUsageError(f"Redis at {where} needs a password", "put it in the URL: redis://:PASSWORD@host:port/0") from None
        raise ParityUsageError(f"Redis at {where} refused the preflight: {exc}", "check the user's ACL permissions") from None
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise ParityUsageError(f"cannot reach Redis at {where}: {_reason(exc)}",
                               "start the server or fix the host/port in REDIS_URL") from None
    missing = [label for name, label in REQUIRED_REDIS_MODULES.items() if name not in modules]
    result = {"version": info.get("redis_version"), "modules": sorted(modules), "settings": config,
              "rtt_ms": rtt, "url": where}
    if missing:
        raise ParityUsageError(
            f"Redis {info.get('redis_version')} at {where} lacks {' and '.join(missing)}: langgraph-checkpoint-redis needs both",
            "use Redis 8.0+ (JSON and search built in) or load the RedisJSON and RediSearch modules (Redis Stack)")
    return result


def probe_postgres(url: str) -> dict[str, Any]:
    import psycopg

    check_url("postgres", url)
    where = mask_url(url)
    try:
        with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S, autocommit=True) as conn:
            settings = {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in PG_SETTINGS}
            rtt = _rtt_ms(lambda: conn.execute("SELECT 1").fetchone())
    except psycopg.ProgrammingError as exc:
        raise ParityUsageError(f"malformed Postgres URL {where!r}: {_reason(exc)}",
                               "use a URL like postgresql://user:password@host:5432/dbname") from None
    except psycopg.OperationalError as exc:
        raise ParityUsageError(_postgres_reason(where, str(exc)), _postgres_fix(str(exc))) from None
    version = settings.pop("server_version")
    return {"version": version, "settings": settings, "rtt_ms": rtt, "url": where}


def _postgres_reason(where: str, msg: str) -> str:
    if "password authentication failed" in msg or "no password supplied" in msg:
        return f"Postgres at {where} rejected the credentials"
    if "does not exist" in msg and "database" in msg:
        return f"Postgres at {where}: {_first_line(msg.split('FATAL:')[-1])}"
    return f"cannot reach Postgres at {where}: {_reason_text(msg)}"


def _postgres_fix(msg: str) -> str:
    if "password" in msg:
        return "check the user and password in POSTGRES_URL"
    if "does not exist" in msg:
        return "create the database (createdb NAME) or point POSTGRES_URL at an existing one"
    return "start the server or fix the host/port in POSTGRES_URL"


def _reason(exc: BaseException) -> str:
    return _reason_text(str(exc))


def _reason_text(msg: str) -> str:
    low = msg.lower()
    if "refused" in low:
        return "connection refused (is the server running on that port?)"
    if "name or service not known" in low or "nodename nor servname" in low or "could not translate host name" in low \
            or "failed to resolve" in low or "temporary failure in name resolution" in low:
        return "unknown host"
    if "timeout" in low or "timed out" in low:
        return "timed out"
    return _first_line(msg)


def _first_line(msg: str) -> str:
    return " ".join(msg.strip().split())[:200]


def host_resolves(host: str) -> bool:
    try:
        socket.getaddrinfo(host, None)
        return True
    except OSError:
        return False
