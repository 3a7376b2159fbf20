"""The event loops of this platform, as pytest-asyncio loop factories, with reasons for the ones it lacks."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Loop:
    name: str
    factory: Callable[[], asyncio.AbstractEventLoop] | None
    reason: str = ""  # why it is not applicable here, when factory is None

    @property
    def applicable(self) -> bool:
        return self.factory is not None


def _unavailable(name: str, reason: str) -> Loop:
    return Loop(name, None, reason)


def platform_loops(platform: str = sys.platform) -> list[Loop]:
    """All loops the matrix knows, in id order; the first applicable one is the platform default."""
    windows = platform == "win32"
    loops: list[Loop] = []
    if windows:
        loops.append(Loop("proactor", _with_pool(getattr(asyncio, "ProactorEventLoop"))))
        loops.append(Loop("selector", _with_pool(asyncio.SelectorEventLoop)))
    else:
        loops.append(Loop("selector", _with_pool(asyncio.SelectorEventLoop)))
        loops.append(_unavailable("proactor", "ProactorEventLoop exists only on Windows"))
    loops.append(_module_loop("uvloop", "uvloop does not support Windows" if windows else "uvloop is not installed"))
    loops.append(_module_loop("winloop", "winloop is Windows-only") if windows
                 else _unavailable("winloop", "winloop is Windows-only"))
    return loops


def _module_loop(module: str, reason: str) -> Loop:
    if importlib.util.find_spec(module) is None:
        return _unavailable(module, reason)
    return Loop(module, _with_pool(lambda: importlib.import_module(module).new_event_loop()))


def _with_pool(new_loop: Callable[[], asyncio.AbstractEventLoop]) -> Callable[[], asyncio.AbstractEventLoop]:
    """The loop with a default executor that a hung sync node (timed out, see cell_timer) cannot keep alive."""
    def factory() -> asyncio.AbstractEventLoop:
        from parity.cell_timer import DaemonPool

        loop = new_loop()
        loop.set_default_executor(DaemonPool())
        return loop

    factory.__qualname__ = factory.__name__ = f"new_{getattr(new_loop, '__name__', 'loop')}"
    return factory


def default_loop(loops: list[Loop] | None = None) -> Loop:
    return next(loop for loop in (loops or platform_loops()) if loop.applicable)


def select(names: list[str] | None, loops: list[Loop] | None = None) -> list[Loop]:
    from parity.errors import ParityUsageError

    loops = loops or platform_loops()
    if not names:
        return loops
    known = {loop.name: loop for loop in loops}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ParityUsageError(f"unknown event loop {unknown[0]!r}", f"choose from {', '.join(known)}")
    return [known[n] for n in names]
