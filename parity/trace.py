"""A normalised trace of a graph run or saver calls, and the readable diff of two traces."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import difflib
import enum
import json
import re
import uuid
from typing import Any

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
# A uuid inside a longer string, e.g. a subgraph's checkpoint_ns "child:<task id>" or a checkpoint_map key.
EMBEDDED_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
# Channel versions are "<32-digit counter>.<random float>": the counter is the semantics, the random tail is not.
VERSION_RE = re.compile(r"^(\d{32})\.\d+(?:\.\d+)?(?:e-?\d+)?$")
# Keys whose values are ids or clocks by nature: replaced by stable placeholders before comparison.
ID_KEYS = {"checkpoint_id", "parent_checkpoint_id", "id", "run_id", "task_id", "thread_ts", "parent_ts"}
TIME_KEYS = {"ts", "created_at", "timestamp"}


class Normaliser:
    """Replaces ids by their order of first appearance (so links stay checkable) and clocks by a token."""

    def __init__(self, extra_ignored: tuple[str, ...] = ()) -> None:
        self.ids: dict[str, str] = {}
        self.ignored = set(extra_ignored)

    def id_token(self, value: Any) -> str:
        key = str(value)
        if key not in self.ids:
            self.ids[key] = f"<id{len(self.ids) + 1}>"
        return self.ids[key]

    def __call__(self, obj: Any, key: str | None = None) -> Any:
        if key in self.ignored:
            return "<ignored>"
        if key in TIME_KEYS and obj is not None:
            return "<time>"
        if key in ID_KEYS and isinstance(obj, (str, uuid.UUID)) and obj:
            return self.id_token(obj)
        return self.value(obj)

    def string(self, obj: str) -> str:
        if UUID_RE.match(obj):
            return self.id_token(obj)
        version = VERSION_RE.match(obj)
        if version:
            return f"<v{int(version.group(1))}>"
        if EMBEDDED_UUID_RE.search(obj):
            return EMBEDDED_UUID_RE.sub(lambda m: self.id_token(m.group(0)), obj)
        return obj

    def value(self, obj: Any) -> Any:
        if obj is None or isinstance(obj, (bool, int, float)):
            return obj
        if isinstance(obj, str):
            return self.string(obj)
        if isinstance(obj, uuid.UUID):
            return self.id_token(obj)
        if isinstance(obj, dict):
            # Keys are sorted with their ids masked, so a dict keyed by ids sorts the same in every run.
            items = sorted(obj.items(), key=lambda kv: EMBEDDED_UUID_RE.sub("<id>", str(kv[0])))
            return {self.string(str(k)): self(v, str(k)) for k, v in items}
        if hasattr(obj, "_asdict"):  # StateSnapshot, CheckpointTuple, PregelTask, Interrupt...
            return {"__type__": type(obj).__name__, **self(obj._asdict())}
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return {"__type__": type(obj).__name__,
                    **self({f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)})}
        if isinstance(obj, (list, tuple)):
            return [self(v) for v in obj]
        if isinstance(obj, (set, frozenset)):
            return {"__type__": type(obj).__name__, "items": sorted((self(v) for v in obj), key=repr)}
        return self.scalar(obj)

    def scalar(self, obj: Any) -> Any:
        if isinstance(obj, BaseException):
            return {"__type__": type(obj).__name__, "args": self(list(obj.args))}
        if isinstance(obj, enum.Enum):
            return {"__type__": type(obj).__name__, "value": self(obj.value)}
        if isinstance(obj, (decimal.Decimal, dt.date, dt.datetime, dt.time, dt.timedelta)):
            return {"__type__": type(obj).__name__, "repr": str(obj)}
        if isinstance(obj, bytes):
            return {"__type__": "bytes", "repr": obj.hex() if len(obj) <= 64 else f"{len(obj)} bytes"}
        if hasattr(obj, "model_dump"):  # pydantic models, LangChain messages
            return {"__type__": type(obj).__name__, **self(obj.model_dump())}
        return {"__type__": type(obj).__name__, "repr": repr(obj)}


    def unordered(self, items: list[Any]) -> list[Any]:
        """A collection whose order the API does not promise: sorted by content with ids masked, then normalised."""
        masked = [(_masked_key(item), i) for i, item in enumerate(items)]
        return [self(items[i]) for _, i in sorted(masked)]


def _masked_key(item: Any) -> str:
    probe = Normaliser()
    text = json.dumps(probe(item), sort_keys=True, default=repr)
    return re.sub(r"<id\d+>", "<id>", text)


class Trace:
    """Ordered (label, normalised value) observations of one scenario run."""

    def __init__(self, ignored: tuple[str, ...] = ()) -> None:
        self.entries: list[tuple[str, Any]] = []
        self.normalise = Normaliser(ignored)

    def add(self, label: str, value: Any) -> Any:
        self.entries.append((label, self.normalise(value)))
        return value

    def add_unordered(self, label: str, items: Any) -> Any:
        """Record a collection the API returns in no promised order (e.g. pending writes of different tasks)."""
        self.entries.append((label, self.normalise.unordered(list(items))))
        return items

    def lines(self) -> list[str]:
        out = []
        for label, value in self.entries:
            out.append(f"## {label}")
            out.extend(json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False, default=repr).splitlines())
        return out

    def to_dict(self) -> list[dict[str, Any]]:
        return [{"label": label, "value": value} for label, value in self.entries]


def diff(expected: Trace, actual: Trace, context: int = 3, max_lines: int = 60) -> str | None:
    """A unified diff of two traces, or None when they are the same."""
    a, b = expected.lines(), actual.lines()
    if a == b:
        return None
    lines = list(difflib.unified_diff(a, b, "reference", "actual", n=context, lineterm=""))
    if len(lines) > max_lines:
        lines = lines[:max_lines] + [f"... ({len(lines) - max_lines} more diff lines)"]
    return "\n".join(lines)


def hunks(expected: Trace, actual: Trace) -> list[str]:
    """Every contiguous change of the full (untruncated) diff, without context: what a waiver must explain."""
    out: list[list[str]] = []
    for line in difflib.unified_diff(expected.lines(), actual.lines(), n=0, lineterm=""):
        if line.startswith("@@"):
            out.append([])
        elif out and not line.startswith(("---", "+++")):
            out[-1].append(line)
    return ["\n".join(h) for h in out]


def first_difference(diff_text: str) -> str:
    """One line naming the first differing trace entry, for summaries."""
    section = ""
    for line in diff_text.splitlines():
        if line.startswith((" ## ", "-## ", "+## ")):
            section = line[4:]
        elif line.startswith(("-", "+")) and not line.startswith(("---", "+++")):
            return f"{section}: {line.strip()}"[:160]
    return section
