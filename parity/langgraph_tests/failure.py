"""What one failed LangGraph test says, kept small: the exception, the assertion line in the test, and the saver
call involved (the outermost frame of the saver's own code in the traceback)."""

from __future__ import annotations

import inspect
import os
import sys
from pathlib import Path
from typing import Any

MESSAGE_CHARS = 600  # enough for pytest's rewritten `assert a == b` and the first diff lines; the rest is noise here


def describe(excinfo: Any, saver: Any, root: Path) -> dict[str, Any]:
    text = excinfo.exconly(tryshort=True)
    out: dict[str, Any] = {"type": excinfo.typename, "message": _head(text)}
    entries = list(excinfo.traceback)
    tests = str(root / "tests") + os.sep
    in_test = [e for e in entries if str(e.path).startswith(tests)]
    if in_test:
        e = in_test[-1]
        out["where"] = f"{_rel(e.path, root)}:{e.lineno + 1} in {e.name}"
        out["statement"] = _statement(e)
    saver_files = _saver_dirs(saver)
    in_saver = [e for e in entries if saver_files and str(e.path).startswith(saver_files)]
    if in_saver:
        e = in_saver[0]
        out["saver_call"] = f"{_owner(e)}{e.name}"
        out["saver_where"] = f"{_short(e.path)}:{e.lineno + 1}"
    return out


def _head(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return "\n".join(lines[:8])[:MESSAGE_CHARS]


def _statement(entry: Any) -> str:
    try:
        return str(entry.statement).strip()[:MESSAGE_CHARS]
    except Exception:  # source not readable (a generated frame): the location says enough
        return ""


def _saver_dirs(saver: Any) -> tuple[str, ...]:
    """The folders of the saver class's own modules (not langgraph.checkpoint.base nor memory: every saver's)."""
    if saver is None:
        return ()
    dirs = []
    for cls in type(saver).__mro__:
        module = cls.__module__ or ""
        if module.startswith(("langgraph.checkpoint.base", "langgraph.checkpoint.memory")):
            continue
        if module.split(".")[0] in sys.stdlib_module_names:  # contextlib's bases of InMemorySaver: not the saver's
            continue  # code (its folder is the stdlib's, asyncio's frames would read as the saver call)
        try:
            path = Path(inspect.getfile(cls))
        except (TypeError, OSError):
            continue
        # a saver's package folder (its helpers too), or the file itself when it is a top-level module
        dirs.append(str(path) if path.parent.name == "site-packages" else str(path.parent) + os.sep)
    return tuple(dict.fromkeys(dirs))


def _owner(entry: Any) -> str:
    self = entry.frame.f_locals.get("self")
    return f"{type(self).__name__}." if self is not None else ""


def _rel(path: Any, root: Path) -> str:
    try:
        return str(Path(str(path)).relative_to(root))
    except ValueError:
        return str(path)


def _short(path: Any) -> str:
    """site-packages/... cut off: the package path is what tells two environments' tracebacks apart."""
    text = str(path)
    marker = "site-packages" + os.sep
    return text.split(marker, 1)[1] if marker in text else text
