"""Where a result was obtained: the platform (OS, Python, CPU architecture) that keys compat evidence across runs.

A compat cell's behaviour can depend on the operating system (event loops: Proactor exists only on Windows),
the Python minor version and the CPU architecture, so merged documents key cells by platform as well as by
backend x flavour x loop. The CPU *model*, core count and memory matter for timings only: benchmark rows are
keyed by the run (one machine) instead, and never pooled across machines.
"""

from __future__ import annotations

import platform as _platform
from typing import Any

ARCH_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}


def current() -> dict[str, Any]:
    """This interpreter's platform block."""
    return make(_platform.system() or "unknown", _platform.python_version(), _platform.python_implementation(),
                _platform.machine())


def make(os_name: str, python: str, implementation: str, arch: str) -> dict[str, Any]:
    minor = ".".join(str(python).split(".")[:2])
    arch = ARCH_ALIASES.get(str(arch).lower(), str(arch).lower() or "unknown")
    block = {"os": os_name, "python": minor, "implementation": implementation, "arch": arch}
    return {"id": f"{os_name}-{implementation}{minor}-{arch}".lower(), **block, "label": label(block)}


def label(block: dict[str, Any]) -> str:
    """"Linux · CPython 3.11 · x86_64": how reports name a platform."""
    return f"{block.get('os')} · {block.get('implementation')} {block.get('python')} · {block.get('arch')}"


def of(doc: dict[str, Any]) -> dict[str, Any]:
    """The platform block of a single run's document (documents before schema 2: from its machine block)."""
    block = doc.get("platform")
    if isinstance(block, dict) and block.get("id"):
        return block
    m = doc.get("machine") or {}
    os_name = str(m.get("os") or "unknown").split(" ")[0]
    arch = str(m.get("platform") or "").split("-")
    guess = next((a for a in arch if a.lower() in ARCH_ALIASES or a.lower() in ("x86_64", "i686", "armv7l")), "")
    return make(os_name, str(m.get("python") or "?"), str(m.get("implementation") or "CPython"), guess or "unknown")


def listed(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every platform a document holds evidence from: a merged document's list, or the single run's own."""
    blocks = doc.get("platforms")
    if isinstance(blocks, list) and blocks:
        return [b for b in blocks if isinstance(b, dict)]
    return [of(doc)]


def labels(doc: dict[str, Any]) -> dict[str, str]:
    """{platform id: label} of a document."""
    return {str(b.get("id")): str(b.get("label") or label(b)) for b in listed(doc)}
