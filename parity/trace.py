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
from collections import Counter
from typing import Any

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
# A uuid inside a longer string, e.g. a subgraph's checkpoint_ns "child:<task id>" or a checkpoint_map key.
EMBEDDED_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
# Channel versions are "<32-digit counter>.<random float>": the counter is the semantics, the random tail is not.
VERSION_RE = re.compile(r"^(\d{32})\.\d+(?:\.\d+)?(?:e-?\d+)?$")
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
        if isinstance(obj, uuid.UUID):  # a UUID object and its string are different values
            return {"__type__": "UUID", "value": self.id_token(obj)}
        if isinstance(obj, dict):
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
    """A unified diff of two traces, or None when they are the same."""
    a, b = expected.lines(), actual.lines()
    if a == b:
        return None
    lines = list(difflib.unified_diff(a, b, "reference", "actual", n=context, lineterm=""))
    if len(lines) > max_lines:
        lines = lines[:max_lines] + [f"... ({len(lines) - max_lines} more diff lines)"]
    return "\n".join(lines)


def hunks(expected: Trace, actual: Trace) -> list[str]:
    """What a waiver must explain: one piece per changed value, never two differences in one piece.

    A piece is a changed key of a record (a trace entry, a task, a checkpoint...), or one inserted or removed
    element of a list. A text diff's hunk can run across neighbours (a known symptom in one task and an extra
    pending write next to it were one hunk), so a waiver matching the first also waived the second.
    Each piece is "@@ <where>" and then "-"/"+" lines of indented JSON, the way the readable diff shows them.
    """
    a, b = [list(e) for e in expected.entries], [list(e) for e in actual.entries]
    best: list[str] | None = None
    for candidate in (b, _renumbered(b, a)):  # the renumbering is a guess: kept only where it explains more
        pieces: list[str] = []
        _align(a, candidate, "", pieces, entries=True)
        if best is None or len(pieces) < len(best):
            best = pieces
    return best or []


TOKEN_RE = re.compile(r"<id\d+>")


def _renumbered(actual: list[Any], expected: list[Any]) -> list[Any]:
    """The actual trace with its id tokens renamed to the reference's where they stand for the same object.

    Tokens number ids by first appearance, so one missing or extra object shifts every later number: a known
    symptom (a lost interrupt) then also "changed" every id after it. Each actual token takes the reference
    token it sits opposite most often; a wrong link (pointing at another checkpoint) is outvoted by the
    object's own appearances and stays a difference.
    """
    votes: dict[str, Counter] = {}
    for act, exp in _token_pairs(actual, expected):
        votes.setdefault(act, Counter())[exp] += 1
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for act, counter in sorted(votes.items(), key=lambda kv: -kv[1].most_common(1)[0][1]):
        for exp, _ in counter.most_common():
            if exp not in taken:
                mapping[act] = exp
                taken.add(exp)
                break
    if all(k == v for k, v in mapping.items()):
        return actual

    def rename(text: str) -> str:  # tokens without a counterpart get a name no reference token has
        return TOKEN_RE.sub(lambda m: mapping.get(m.group(0), "<new" + m.group(0)[3:]), text)

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return rename(value)
        if isinstance(value, dict):
            return {rename(k) if isinstance(k, str) else k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value
    return walk(actual)


def _token_pairs(x: Any, y: Any) -> list[tuple[str, str]]:
    """(token in x, token in y) for strings that are the same but for their tokens, found in parallel."""
    if isinstance(x, str) and isinstance(y, str):
        tx, ty = TOKEN_RE.findall(x), TOKEN_RE.findall(y)
        if tx and len(tx) == len(ty) and TOKEN_RE.sub("<id>", x) == TOKEN_RE.sub("<id>", y):
            return list(zip(tx, ty))
        return []
    if isinstance(x, dict) and isinstance(y, dict):
        return [p for k in x if k in y for p in _token_pairs(x[k], y[k])]
    if isinstance(x, list) and isinstance(y, list):
        masked = lambda v: TOKEN_RE.sub("<id>", _canon(v))  # noqa: E731 - align as if ids were equal
        matcher = difflib.SequenceMatcher(a=[masked(v) for v in x], b=[masked(v) for v in y], autojunk=False)
        out = []
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal" or (op == "replace" and i2 - i1 == j2 - j1):
                out += [p for i, j in zip(range(i1, i2), range(j1, j2)) for p in _token_pairs(x[i], y[j])]
        return out
    return []


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr)


def _lines(sign: str, value: Any, key: Any = None) -> list[str]:
    text = json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False, default=repr).splitlines()
    if key is not None:
        text[0] = f"{json.dumps(key, ensure_ascii=False, default=repr)}: {text[0]}"
    return [f"{sign} {line}" for line in text]


def _piece(where: str, lines: list[str]) -> str:
    return "\n".join([f"@@ {where}"] + lines)


def _align(a: list[Any], b: list[Any], path: str, pieces: list[str], entries: bool = False) -> None:
    """Elements of two lists matched up; each inserted or removed element is a piece of its own."""
    matcher = difflib.SequenceMatcher(a=[_canon(x) for x in a], b=[_canon(x) for x in b], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        pairs = list(zip(range(i1, i2), range(j1, j2))) if i2 - i1 == j2 - j1 else _pair(a, b, i1, i2, j1, j2)
        for i, j in pairs:
            x, y = a[i], b[j]
            if entries and x[0] == y[0]:  # the same trace entry: compare what it recorded
                _walk(x[1], y[1], f"## {x[0]}", pieces)
            else:
                _walk(x, y, f"{path}[{i}]", pieces)
        paired_a, paired_b = {i for i, _ in pairs}, {j for _, j in pairs}
        pieces.extend(_piece(f"{path} removed", _lines("-", a[i])) for i in range(i1, i2) if i not in paired_a)
        pieces.extend(_piece(f"{path} added", _lines("+", b[j])) for j in range(j1, j2) if j not in paired_b)


def _pair(a: list[Any], b: list[Any], i1: int, i2: int, j1: int, j2: int) -> list[tuple[int, int]]:
    """In a changed run of unequal length, the elements that are one element changed (most alike, in order),
    so the change shows as itself and not as one element removed and another added."""
    pairs, start = [], j1
    for i in range(i1, i2):
        text = _canon(a[i])
        # The same identity (task_id, checkpoint id...) makes a pair however much else changed.
        scored = [(1.0 if _same_identity(a[i], b[j]) else
                   difflib.SequenceMatcher(a=text, b=_canon(b[j]), autojunk=False).ratio(), j) for j in range(start, j2)]
        if scored:
            ratio, j = max(scored, key=lambda s: (s[0], -s[1]))
            if ratio >= 0.6:
                pairs.append((i, j))
                start = j + 1
    return pairs


def _same_identity(x: Any, y: Any) -> bool:
    if not (isinstance(x, dict) and isinstance(y, dict)):
        return False
    keys = [k for k in ID_KEYS if isinstance(x.get(k), str) and x.get(k)]
    return bool(keys) and all(x.get(k) == y.get(k) for k in keys)


def _walk(x: Any, y: Any, path: str, pieces: list[str]) -> None:
    if _canon(x) == _canon(y):
        return
    if isinstance(x, dict) and isinstance(y, dict):
        for key in sorted(set(x) | set(y), key=str):
            if key not in y:
                pieces.append(_piece(f"{path}.{key}", _lines("-", x[key], key)))
            elif key not in x:
                pieces.append(_piece(f"{path}.{key}", _lines("+", y[key], key)))
            elif _nested(x[key], y[key]):
                _walk(x[key], y[key], f"{path}.{key}", pieces)
            elif _canon(x[key]) != _canon(y[key]):
                pieces.append(_piece(f"{path}.{key}", _lines("-", x[key], key) + _lines("+", y[key], key)))
    elif _nested(x, y) and isinstance(x, list):
        _align(x, y, path, pieces)
    else:
        pieces.append(_piece(path, _lines("-", x) + _lines("+", y)))


def _nested(x: Any, y: Any) -> bool:
    """Both dicts, or both non-empty lists: their parts are compared one by one. A list that became empty
    (or was) is one change of its key: "interrupts": [] is the symptom, not each interrupt gone."""
    if isinstance(x, dict) and isinstance(y, dict):
        return True
    return isinstance(x, list) and isinstance(y, list) and bool(x) and bool(y)


def piece_summary(piece: str) -> str:
    """One line for a piece of hunks(): where it is and its first changed line."""
    lines = piece.splitlines()
    where = lines[0][3:] if lines and lines[0].startswith("@@ ") else ""
    where = where[3:] if where.startswith("## ") else where
    change = next((line.strip() for line in lines[1:] if line.startswith(("-", "+"))), "")
    return f"{where}: {change}"[:160]


def first_difference(diff_text: str) -> str:
    """One line naming the first differing trace entry, for summaries."""
    section = ""
    for line in diff_text.splitlines():
        if line.startswith((" ## ", "-## ", "+## ")):
            section = line[4:]
        elif line.startswith(("-", "+")) and not line.startswith(("---", "+++")):
            return f"{section}: {line.strip()}"[:160]
    return section
