"""Server families behind the Family interface of base.py, found through the `parity.families` entry points.

A family is one module or package (its server embedded and as a container, readiness, fault levers, statistics,
savers and their capabilities) exposing a Family instance; it is registered as an entry point of the group
`parity.families`, e.g. `redis = "parity.families.redis:FAMILY"`. The built-in Redis and Postgres are registered
that way in pyproject.toml; another package adds a family the same way (examples/families/ holds one).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import metadata

from parity.errors import ParityUsageError
from parity.families.base import Family, Lever


ENTRY_POINT_GROUP = "parity.families"


@lru_cache(maxsize=1)
def _all() -> dict[str, Family]:
    found: dict[str, Family] = {}
    for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        family = _load(ep)
        if family.name in found and found[family.name] is not family:
            raise ParityUsageError(f"two installed packages register the server family {family.name!r} "
                                   f"(entry point {ep.value} and {type(found[family.name]).__module__})",
                                   "uninstall one of them")
        found[family.name] = family
    if not found:
        raise ParityUsageError(f"no server family is registered (entry-point group {ENTRY_POINT_GROUP} is empty)",
                               "reinstall checkpoint-parity (pip install -e . in a checkout): its metadata is stale")
    return found


def _load(ep) -> Family:
    try:
        family = ep.load()
    except Exception as exc:  # a broken plugin is one line naming it, not a traceback from deep in the harness
        raise ParityUsageError(f"server family plugin {ep.name} ({ep.value}) failed to load: "
                               f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                               "fix or uninstall the package that provides it") from None
    if not isinstance(family, Family):
        raise ParityUsageError(f"entry point {ep.name} = {ep.value} of group {ENTRY_POINT_GROUP} is a "
                               f"{type(family).__name__}, not a parity.families.Family instance",
                               "point the entry point at the module's Family instance (module:FAMILY)")
    return family


def names() -> tuple[str, ...]:
    """Every family, in report order (Family.order)."""
    return tuple(sorted(_all(), key=lambda name: (_all()[name].order, name)))


def get(name: str) -> Family:
    try:
        return _all()[name]
    except KeyError:
        raise KeyError(f"no server family {name!r} (known: {', '.join(names())})") from None


def probe(family: str, url: str, source: str | None = None) -> dict:
    """A server's version, modules, settings and round-trip time (Family.probe); one ParityUsageError line if unusable.

    source: where the URL came from ("--redis-url", "REDIS_URL"); the fix then names it, not the family's variable.
    """
    try:
        return get(family).probe(url)
    except ParityUsageError as exc:
        var = get(family).url_env
        if not source or source == var or var not in exc.fix:
            raise
        raise ParityUsageError(exc.what, exc.fix.replace(var, source)) from None


def of_url(url: str) -> str:
    """The family a server URL belongs to, by its scheme."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    for name in names():
        if scheme in get(name).url_schemes:
            return name
    examples = " or ".join(get(name).url_example for name in names())
    from parity.servers.endpoint import mask_url

    raise ParityUsageError(f"malformed URL {mask_url(url)!r}: no server family uses the scheme {scheme!r}",
                           f"use a URL like {examples}")


__all__ = ["Family", "Lever", "get", "names", "of_url", "probe"]
