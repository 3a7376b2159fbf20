"""Which releases a finding was seen on: LangGraph's, its checkpoint base's and the saver's own, as installed."""

from __future__ import annotations

import functools
import importlib.util
from importlib import metadata
from pathlib import Path
from typing import Any

# Every finding names these beside its saver's distribution: the graph runtime and the saver base it was judged on.
CORE = ("langgraph", "langgraph-checkpoint")


class Noting:
    """A saver factory's (async) context manager that notes the class of the saver it yields in `seen`."""

    def __init__(self, cm: Any, seen: set[type]) -> None:
        self._cm, self._seen = cm, seen

    def __enter__(self):
        saver = self._cm.__enter__()
        self._seen.add(type(saver))
        return saver

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)

    async def __aenter__(self):
        saver = await self._cm.__aenter__()
        self._seen.add(type(saver))
        return saver

    async def __aexit__(self, *exc):
        return await self._cm.__aexit__(*exc)


def seen_on(saver_classes: set[type] | frozenset[type] = frozenset()) -> dict[str, str]:
    """{distribution: version} of LangGraph, langgraph-checkpoint and each distribution that ships one of the saver
    classes (a class from a module outside any installed distribution, e.g. a team's own file, adds none)."""
    names = list(CORE) + sorted({d for cls in saver_classes if (d := distribution_of(cls.__module__))} - set(CORE))
    return {name: version for name in names if (version := _version(name))}


def record(finding: Any, backend: Any) -> None:
    """Name on a finding, where it is recorded, the versions it was seen on (kept when already set)."""
    if finding.versions is None:
        finding.versions = [seen_on(getattr(backend, "saver_classes", frozenset()))]


@functools.cache
def distribution_of(module: str) -> str | None:
    """The installed distribution whose files include `module`'s file (several share the `langgraph` namespace, so
    the top-level name alone cannot tell), or None."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not Path(spec.origin).exists():
        return None
    path = Path(spec.origin).resolve()
    for name in _packages().get(module.split(".")[0], []):
        dist = metadata.distribution(name)
        try:
            rel = path.relative_to(Path(str(dist.locate_file(""))).resolve()).as_posix()
        except ValueError:  # installed elsewhere (an editable install's source tree)
            continue
        if any(str(f) == rel for f in dist.files or ()):
            return dist.metadata["Name"]
    return None


@functools.cache
def _packages() -> dict[str, list[str]]:
    return metadata.packages_distributions()  # reads every installed distribution: once per process


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def label(versions: dict[str, str]) -> str:
    """"langgraph 1.0.6, langgraph-checkpoint 4.3.0, langgraph-checkpoint-redis 0.5.2": how reports name them."""
    return ", ".join(f"{name} {version}" for name, version in versions.items())


def of_group(group: list[dict[str, Any]]) -> list[str]:
    """The distinct version sets a group of findings was seen on, each as label() says it (documents written before
    findings named versions give none)."""
    return [label(s) for s in merged([s for f in group for s in f.get("versions") or []]) if s]


def merged(sets: list[dict[str, str]]) -> list[dict[str, str]]:
    """The distinct version sets, in first-seen order: one finding seen on several runs keeps each run's."""
    out: list[dict[str, str]] = []
    for s in sets:
        if isinstance(s, dict) and s not in out:
            out.append(dict(s))
    return out
