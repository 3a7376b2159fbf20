"""Server families, one module each (redis.py, postgres.py) behind the Family interface of base.py.

A new family is one new module here defining `FAMILY = MyFamily()` (plus its backends in
parity/backends/builtin.py); every module of this package that defines FAMILY is found by name.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from parity.errors import ParityUsageError
from parity.families.base import Family


@lru_cache(maxsize=1)
def _all() -> dict[str, Family]:
    found: dict[str, Family] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        family = getattr(module, "FAMILY", None)
        if isinstance(family, Family):
            found[family.name] = family
    return found


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


__all__ = ["Family", "get", "names", "of_url", "probe"]
