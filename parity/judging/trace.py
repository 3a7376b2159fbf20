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

from parity.judging.calls import Calls

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
# A uuid inside a longer string, e.g. a subgraph's checkpoint_ns "child:<task id>" or a checkpoint_map key.
EMBEDDED_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
# Where a checkpoint holds channel versions. Their representation is the saver's choice (str, int or float,
# "monotonically increasing", BaseCheckpointSaver.get_next_version); LangGraph only compares the versions of one
# checkpoint with each other. So they are shown as their rank among the versions of their checkpoint: see
# docs/judging.md, "Channel versions".
VERSION_KEYS = ("channel_versions", "versions_seen")
# Keys whose values are LangGraph's ids or clocks: replaced by stable placeholders, but only inside LangGraph's own
# structures (see STRUCTURE_KEYS); in graph values and other user payloads an "id" or "timestamp" is data.
ID_KEYS = {"checkpoint_id", "parent_checkpoint_id", "id", "run_id", "task_id", "thread_ts", "parent_ts"}
TIME_KEYS = {"ts", "created_at", "timestamp"}
# Entering one of these keys (outside a payload) enters a LangGraph structure (checkpoint, config, metadata, tasks) ...
STRUCTURE_KEYS = {"config", "parent_config", "configurable", "metadata", "checkpoint", "tasks"}
# ... and entering one of these enters a payload: what they hold is what the graph or the caller wrote. A payload
# stays a payload below (a user's "config" key is data), except for LangGraph's own objects inside it:
PAYLOAD_KEYS = {"values", "channel_values", "writes", "pending_writes", "pending_sends", "result", "value", "input"}
# namedtuples / dataclasses of these packages (StateSnapshot, CheckpointTuple, Interrupt...), and what is under
# LangGraph's reserved interrupt key (an Interrupt already turned into a dict, e.g. by a workload's ignore_paths).
STRUCTURE_MODULES = ("langgraph.",)
RESERVED_KEYS = {"__interrupt__"}


class Normaliser:
    """Replaces ids by their order of first appearance (so links stay checkable) and clocks by a token.

    Container types (tuple vs list) and dict key types (1 vs "1") are kept: a value that comes back as another type
    is a difference a user could notice.
    """

    def __init__(self, extra_ignored: tuple[str, ...] = ()) -> None:
        self.ids: dict[str, str] = {}
        self.aliases: dict[str, str] = {}  # stored name -> the name the scenario used (see Driver.thread)
        self.ignored = set(extra_ignored)
        self.where = "top"  # "structure" (id/time keys tokenised there only), "payload" or "top" (neither yet)

    def id_token(self, value: Any) -> str:
        key = str(value)
        if key not in self.ids:
            self.ids[key] = f"<id{len(self.ids) + 1}>"
        return self.ids[key]

    def __call__(self, obj: Any, key: str | None = None) -> Any:
        if key in self.ignored:
            return "<ignored>"
        if self.where == "structure" and key in TIME_KEYS and obj is not None:
            return "<time>"
        if self.where == "structure" and key in ID_KEYS and isinstance(obj, str) and obj:
            return self.id_token(obj)
        return self.within(self.entering(key), self.value, obj)

    def entering(self, key: str | None) -> str:
        """Where a value under key is: reserved keys are structure, payload keys and all below a payload are payload."""
        if key in RESERVED_KEYS:
            return "structure"
        if self.where == "payload" or key in PAYLOAD_KEYS:
            return "payload"
        return "structure" if key in STRUCTURE_KEYS else self.where

    def within(self, where: str, fn, obj: Any) -> Any:
        """fn(obj) with self.where set, restored afterwards."""
        outer, self.where = self.where, where
        try:
            return fn(obj)
        finally:
            self.where = outer

    def string(self, obj: str) -> str:
        for stored, name in self.aliases.items():
            if stored in obj:  # also inside a longer text, e.g. an error message naming the thread
                obj = obj.replace(stored, name)
        if UUID_RE.match(obj):
            return self.id_token(obj)
        if EMBEDDED_UUID_RE.search(obj):
            return EMBEDDED_UUID_RE.sub(lambda m: self.id_token(m.group(0)), obj)
        return obj

    def value(self, obj: Any) -> Any:
        if obj is None or isinstance(obj, (bool, int, float)):
            return obj
        if isinstance(obj, str):
            return self.string(obj)
        if isinstance(obj, uuid.UUID):  # a UUID object and its string are different values
            return {"__type__": "UUID", "value": self.id_token(obj)}
        if isinstance(obj, dict):
            if self.where != "payload" and any(k in obj for k in VERSION_KEYS):
                return self.checkpoint_versions(obj)
            # Keys are sorted with their ids masked, so a dict keyed by ids sorts the same in every run.
            items = sorted(obj.items(), key=lambda kv: EMBEDDED_UUID_RE.sub("<id>", self.key(kv[0])))
            return {self.key(k): self(v, k if isinstance(k, str) else None) for k, v in items}
        if hasattr(obj, "_asdict") or (dataclasses.is_dataclass(obj) and not isinstance(obj, type)):
            return self.record(obj)
        if isinstance(obj, list):
            return [self(v) for v in obj]
        if isinstance(obj, tuple):
            return {"__type__": "tuple", "items": [self(v) for v in obj]}
        if isinstance(obj, (set, frozenset)):
            return {"__type__": type(obj).__name__, "items": sorted((self(v) for v in obj), key=repr)}
        return self.scalar(obj)

    def checkpoint_versions(self, obj: dict) -> dict:
        """A dict holding channel_versions / versions_seen: each version replaced by its rank in this dict.

        Ranks keep what LangGraph reads from versions (which are equal, which is newer) and drop how the saver
        spells them ("00..03.0.41" or 3). Versions that do not compare with each other (mixed types) rank by type
        name first, so the mix shows as a difference instead of an error.
        """
        found = [v for k in VERSION_KEYS for v in _versions_in(obj.get(k))]
        try:
            ordered = sorted(set(found))
        except TypeError:
            ordered = sorted(set(found), key=lambda v: (type(v).__name__, v))
        rank = {v: f"<v{i + 1}>" for i, v in enumerate(ordered)}
        out = self.value({k: v for k, v in obj.items() if k not in VERSION_KEYS})
        for k in VERSION_KEYS:
            if k in obj:
                out[k] = _ranked(obj[k], rank, self)
        return dict(sorted(out.items()))

    def key(self, k: Any) -> str:
        """A dict key as text; a non-str key keeps its type ({1: ...} is "int:1", not "1")."""
        return self.string(k) if isinstance(k, str) else f"{type(k).__name__}:{self.string(str(k))}"

    def record(self, obj: Any) -> dict[str, Any]:
        """A namedtuple or dataclass as {"__type__", fields...}; LangGraph's own types are structures."""
        fields = obj._asdict() if hasattr(obj, "_asdict") else {
            f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
        where = "structure" if type(obj).__module__.startswith(STRUCTURE_MODULES) else self.where
        return {"__type__": type(obj).__name__, **self.within(where, self.value, dict(fields))}

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


def _versions_in(value: Any) -> list[Any]:
    """The version values of channel_versions ({channel: v}) or versions_seen ({node: {channel: v}})."""
    if not isinstance(value, dict):
        return []
    return [x for v in value.values() for x in (_versions_in(v) if isinstance(v, dict) else [v])
            if isinstance(x, (str, int, float)) and not isinstance(x, bool)]


def _ranked(value: Any, rank: dict, normalise: Normaliser) -> Any:
    if isinstance(value, dict):
        return {normalise.key(k): _ranked(v, rank, normalise) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    try:
        return rank[value]
    except (KeyError, TypeError):  # not a version (None, a list...): shown as it is
        return normalise(value)


def _masked_key(item: Any) -> str:
    normalise = Normaliser()
    text = json.dumps(normalise(item), sort_keys=True, default=repr)
    return re.sub(r"<id\d+>", "<id>", text)


class Trace:
    """Ordered (label, normalised value) observations of one scenario run."""

    def __init__(self, ignored: tuple[str, ...] = ()) -> None:
        self.entries: list[tuple[str, Any]] = []
        self.normalise = Normaliser(ignored)
        self.calls = Calls()  # the saver calls of the run, as they passed (parity.judging.invariants reads them)

    def watch(self, saver: Any) -> Any:
        """The saver, recording its calls into this trace's `calls`."""
        return self.calls.watch(saver)

    def add(self, label: str, value: Any) -> Any:
        self.entries.append((label, self.normalise(value)))
        return value

    def alias(self, stored: str, name: str) -> None:
        """Show a stored id under the name the scenario gave it."""
        self.normalise.aliases[stored] = name

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
    """A unified diff of two traces, or None when they are the same (parity.judging.differences.led puts the first
    difference not only in ids before it)."""
    a, b = expected.lines(), actual.lines()
    if a == b:
        return None
    lines = list(difflib.unified_diff(a, b, "reference", "actual", n=context, lineterm=""))
    if len(lines) > max_lines:
        lines = lines[:max_lines] + [f"... ({len(lines) - max_lines} more diff lines)"]
    return "\n".join(lines)


def first_difference(diff_text: str) -> str:
    """One line naming the first differing trace entry, for summaries."""
    section = ""
    for line in diff_text.splitlines():
        if line.startswith((" ## ", "-## ", "+## ")):
            section = line[4:]
        elif line.startswith(("-", "+")) and not line.startswith(("---", "+++")):
            return f"{section}: {line.strip()}"[:160]
    return section


def nondeterministic_paths(first, second) -> list[str]:
    """Dotted paths (list indices as *) where two traces of the same script differ, in ignore= syntax."""
    found: list[str] = []
    for (label, a), (_, b) in zip(first.entries, second.entries):
        _differences(a, b, "", found)
    if len(first.entries) != len(second.entries):
        found.append("(the number of steps)")
    return list(dict.fromkeys(found))


def _differences(a: Any, b: Any, path: str, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        if a.get("__type__") == "tuple" and b.get("__type__") == "tuple":  # the normaliser's form of a tuple
            a, b = a.get("items"), b.get("items")
        else:
            for key in sorted(set(a) | set(b), key=str):
                if key != "__type__":
                    _differences(a.get(key), b.get(key), f"{path}.{key}" if path else str(key), out)
            return
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for item_a, item_b in zip(a, b):
            _differences(item_a, item_b, f"{path}.*" if path else "*", out)
        return
    if a != b:
        out.append(path or "(the whole step)")
