"""A RedisSaver's keys as a replay source, through a client that cannot send a write command."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any, Iterator

from parity.errors import ParityUsageError
from parity.servers.endpoint import mask_url

# Every command the replay may send: reads, and what redis-py says on connecting. Anything else (a write, an
# index creation, a TTL refresh) is refused in the client before it is sent, whatever the server's ACL allows.
READ_COMMANDS = frozenset({
    "GET", "MGET", "EXISTS", "TYPE", "TTL", "PTTL", "SCAN", "STRLEN", "ZRANGE", "ZRANGEBYSCORE", "ZREVRANGE",
    "ZREVRANGEBYSCORE", "ZCARD", "ZSCORE", "ZCOUNT", "SMEMBERS", "SCARD", "SISMEMBER", "HGET", "HGETALL", "HMGET",
    "LRANGE", "LLEN", "JSON.GET", "JSON.MGET", "JSON.TYPE", "JSON.OBJKEYS", "JSON.ARRLEN", "JSON.STRLEN",
    "FT.SEARCH", "FT.AGGREGATE", "FT.INFO", "FT._LIST", "FT.CURSOR", "INFO", "MODULE",
    "PING", "ECHO", "HELLO", "AUTH", "SELECT", "CLIENT", "READONLY",
    "MULTI", "EXEC", "DISCARD",  # a transaction's queued commands pass this check one by one
})
CLIENT_SUBCOMMANDS = frozenset({"SETINFO", "SETNAME", "ID", "GETNAME", "MAINT_NOTIFICATIONS"})  # not KILL/PAUSE/...


class SourceWriteRefused(ParityUsageError):
    """The replay (or the saver reading for it) tried to send a command that is not a read: stopped, exit 1."""

    exit_code = 1


class _Guard:
    """Wraps redis-py's command packer: the one place every command (pipelines too) passes before the socket."""

    def __init__(self, packer) -> None:
        self._packer = packer

    def pack(self, *args):
        # redis-py sends some commands as one argument ("CLIENT SETINFO", then its arguments)
        words = [w.upper() for w in _text(args[0]).split()] + [_text(a).upper() for a in args[1:2]] if args else [""]
        name, sub = words[0], (words[1] if len(words) > 1 else "")
        if name not in READ_COMMANDS or (name == "CLIENT" and sub not in CLIENT_SUBCOMMANDS) \
                or (name == "MODULE" and sub != "LIST"):
            raise SourceWriteRefused(f"replay refused to send {name} {sub}".strip() + " to the source: not a read "
                                     "(nothing was sent)", "report this: the replay reads a source, never writes")
        return self._packer.pack(*args)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._packer, attr)


def _text(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, (bytes, bytearray)) else str(value)


def _read_only(base: type) -> type:
    class ReadOnly(base):  # type: ignore[misc, valid-type]
        def _construct_command_packer(self, packer):
            return _Guard(super()._construct_command_packer(packer))
    ReadOnly.__name__ = f"ReadOnly{base.__name__}"
    return ReadOnly


def read_only_client(url: str):
    import redis

    base = redis.SSLConnection if url.lower().startswith("rediss://") else redis.Connection
    return redis.Redis.from_url(url, connection_class=_read_only(base))


@contextlib.contextmanager
def open_redis(url: str, prefix: str | None) -> Iterator[Any]:
    import redis
    from langgraph.checkpoint.redis import RedisSaver

    from parity.replay.store import ReadOnlyReader, Source, store_of

    where, prefix = mask_url(url), prefix or "checkpoint"
    client = read_only_client(url)
    try:
        try:
            listed = {_text(n) for n in client.execute_command("FT._LIST") or []}
        except redis.exceptions.ResponseError as exc:
            raise ParityUsageError(f"replay source {where}: {exc} (no RediSearch: not a RedisSaver store)",
                                   "point --from at the Redis the app's RedisSaver writes to") from None
        except redis.exceptions.RedisError as exc:
            raise ParityUsageError(f"replay source: cannot reach Redis at {where}: {str(exc).splitlines()[0]}",
                                   "start the server or fix the host/port in --from") from None
        checkpoints, writes = prefix, f"{prefix}_write"  # RedisSaver's defaults: checkpoint, checkpoint_write
        missing = [i for i in (checkpoints, writes) if i not in listed]
        if missing:
            raise ParityUsageError(f"replay source {where} has no checkpoint index {', '.join(missing)} "
                                   f"(indices there: {', '.join(sorted(listed)) or 'none'})",
                                   "point --from at the Redis the app's RedisSaver writes to (--from-prefix if it "
                                   "sets checkpoint_prefix)")
        saver = RedisSaver(redis_client=client, checkpoint_prefix=checkpoints, checkpoint_write_prefix=writes)
        _check_schema(client, saver, where)
        saver.setup()  # the indices exist, so this only looks (FT._LIST); a write would be refused by the guard
        yield Source("redis", where, ReadOnlyReader(saver), None, store_of(url),
                     lambda since: _threads(client, checkpoints, since),
                     notes=["read through a client that refuses every non-read command before sending it",
                            "RedisSaver.list returns at most 10,000 checkpoints: a longer thread is replayed cut",
                            "RedisSaver keeps no schema version: its search index fields are checked instead"])
    finally:
        client.close()


def _attributes(info: Any) -> set[str]:
    """Field names of an FT.INFO reply, RESP2 (flat lists) or RESP3 (dicts)."""
    if isinstance(info, dict):
        attrs = info.get(b"attributes", info.get("attributes", []))
        return {_text(a.get(b"attribute", a.get("attribute"))) for a in attrs if isinstance(a, dict)}
    items = list(info)
    attrs = items[items.index(b"attributes") + 1] if b"attributes" in items else []
    return {_text(a[a.index(b"attribute") + 1]) for a in attrs if b"attribute" in a}


def _check_schema(client, saver, where: str) -> None:
    from importlib.metadata import version

    for schema in (saver.checkpoints_schema, saver.writes_schema):
        name = schema["index"]["name"]
        have = _attributes(client.execute_command("FT.INFO", name))
        lacks = sorted({f["name"] for f in schema["fields"]} - have)
        if lacks:
            raise ParityUsageError(f"replay source {where}: unknown schema version: index {name} lacks field(s) "
                                   f"{', '.join(lacks)} that langgraph-checkpoint-redis "
                                   f"{version('langgraph-checkpoint-redis')} reads",
                                   "install the langgraph-checkpoint-redis version the app runs")


def _threads(client, prefix: str, since: datetime | None) -> list[str]:
    """Thread ids of the checkpoint documents (SCAN + JSON.MGET), with checkpoint_ts (ms) at/after since."""
    newest: dict[str, float] = {}
    keys: list = []

    def flush() -> None:
        ids = client.json().mget(keys, "$.thread_id")
        stamps = client.json().mget(keys, "$.checkpoint_ts")
        for tid, ts in zip(ids, stamps):
            if tid:
                newest[tid[0]] = max(newest.get(tid[0], 0.0), float((ts or [0])[0] or 0))
        keys.clear()

    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        keys.append(key)
        if len(keys) >= 500:
            flush()
    if keys:
        flush()
    cutoff = since.timestamp() * 1000 if since else None
    return sorted(t for t, ts in newest.items() if cutoff is None or ts >= cutoff)
