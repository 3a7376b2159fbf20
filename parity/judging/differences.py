"""The differences of two traces one at a time: what a reviewed waiver must explain, each on its own.

The readable diff (parity.judging.trace.diff) is for people; these pieces are for matching known divergences, and the
summary line of a finding.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter
from typing import Any

from parity.judging.trace import ID_KEYS, Trace


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
            elif entries:  # another observation in its place (e.g. "raised" where the reference went on)
                pieces.append(_piece(f"{path} removed", _lines("-", x)))
                pieces.append(_piece(f"{path} added", _lines("+", y)))
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
        text = _likeness_text(a[i])
        best: tuple[float, int] | None = None
        for j in range(start, j2):
            # The same identity (task_id, checkpoint id...) makes a pair however much else changed.
            if _same_identity(a[i], b[j]):
                ratio = 1.0
            else:
                matcher = difflib.SequenceMatcher(a=text, b=_likeness_text(b[j]), autojunk=False)
                # ratio() <= quick_ratio() <= real_quick_ratio(): a candidate whose bound cannot beat the best so
                # far (a later j must be strictly better) or reach 0.6 is not scored; the pairs are the same.
                floor = max(0.6, best[0]) if best else 0.6
                if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
                    continue
                ratio = matcher.ratio()
            if best is None or ratio > best[0]:
                best = (ratio, j)
        if best is not None and best[0] >= 0.6:
            pairs.append((i, best[1]))
            start = best[1] + 1
    return pairs


LIKENESS_CHARS = 4000  # above this, likeness is scored on JSON lines: char-level matching is O(n*m) (60 s a cell)


def _likeness_text(value: Any) -> str | list[str]:
    """What two elements' likeness is scored on: their JSON text, or its lines when it is long."""
    text = _canon(value)
    if len(text) <= LIKENESS_CHARS:
        return text
    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False, default=repr).splitlines()


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
    """One line for a piece of hunks(): where it is and its first changed line (for a whole trace entry added or
    removed: its label and the first line of what it recorded, not the "[" that opens it)."""
    lines = piece.splitlines()
    where = lines[0][3:] if lines and lines[0].startswith("@@ ") else ""
    where = where[3:] if where.startswith("## ") else where
    entry = _entry(piece)
    if entry is not None:
        label, value = entry
        if label == "raised" and isinstance(value, dict):
            return f"raised {value.get('type')}: {value.get('message')}"[:160]
        shown = json.dumps(value, ensure_ascii=False, sort_keys=True, default=repr)
        return f"{label} {'missing' if where.strip() == 'removed' else 'extra'}: {shown}"[:160]
    changed = [line for line in lines[1:] if line.startswith(("-", "+"))]
    change = changed[0].strip() if changed else ""
    if change.endswith(("{", "[")):  # a record or list: shown whole on one line, not as its opening bracket
        change = f"{change[0]} {_compact([line for line in changed if line[0] == change[0]])}"
    return f"{where}: {change}"[:160]


def _compact(lines: list[str]) -> str:
    """The JSON value (or "key": value) that these signed, indented lines of one side show, on one line."""
    body = "\n".join(line[2:] for line in lines)
    for text, keyed in ((body, False), ("{" + body + "}", True)):
        try:
            value = json.loads(text)
        except ValueError:
            continue
        shown = json.dumps(value, ensure_ascii=False, sort_keys=True, default=repr, separators=(", ", ": "))
        shown = re.sub(r"<(?:id|new)\d+>", "<id>", shown)  # a headline names the record, not its run's numbering
        return shown[1:-1] if keyed else shown
    return lines[0][1:].strip()


def _entry(piece: str) -> tuple[str, Any] | None:
    """(label, value) of a whole trace entry the piece adds or removes ("@@  added" + the [label, value] pair)."""
    lines = piece.splitlines()
    if len(lines) < 3 or lines[0][3:].strip() not in ("added", "removed") or lines[1][1:].strip() != "[":
        return None
    try:
        pair = json.loads("\n".join(line[2:] for line in lines[1:]))
    except ValueError:
        return None
    return (pair[0], pair[1]) if isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str) else None


def _entry_label(piece: str) -> str | None:
    entry = _entry(piece)
    return entry[0] if entry else None


# How much a difference matters to a user, most first (most_significant). An error is what the user meets first;
# then any difference in what the API returns (a missing or extra observation, values, metadata: in trace order, as
# an earlier difference is often the cause of a later one); then links between checkpoints (ids differ per run, and
# one missing object renumbers every later one); channel versions last. A path not listed counts as a value.
SIGNIFICANCE = (
    ("raised", lambda where, label: label == "raised" or where.startswith("raised")),
    ("returned", lambda where, label: label is not None or "metadata" in where or not any(
        k in where for k in (".config", "config.", "parent_config", "channel_versions", "versions_seen",
                             "checkpoint_id", ".id"))),
    ("links", lambda where, label: "channel_versions" not in where and "versions_seen" not in where),
    ("versions", lambda where, label: True),
)


def significance(piece: str) -> int:
    """0 for the most significant kind of difference (an error), up to len(SIGNIFICANCE) - 1 (channel versions)."""
    where = piece.splitlines()[0][3:] if piece.startswith("@@ ") else ""
    where = where[3:] if where.startswith("## ") else where
    label = _entry_label(piece)
    return next(i for i, (_, test) in enumerate(SIGNIFICANCE) if test(where, label))


def most_significant(pieces: list[str]) -> str | None:
    """The piece a finding's headline names: the most significant kind, the first of its kind in trace order."""
    return min(pieces, key=significance) if pieces else None


_ANY_TOKEN = re.compile(r"<(?:id|new)\d+>")


def is_renumbering(lines: list[str]) -> bool:
    """Whether removed and added lines differ only in id tokens: mostly one object more or less earlier in the trace,
    which renumbers every later id (an echo of that difference); else a link to another checkpoint. Either way a
    difference in a value or in what is there says more, so it is shown first."""
    minus = [_ANY_TOKEN.sub("<id>", ln[1:]) for ln in lines if ln.startswith("-") and not ln.startswith("---")]
    plus = [_ANY_TOKEN.sub("<id>", ln[1:]) for ln in lines if ln.startswith("+") and not ln.startswith("+++")]
    return bool(minus) and minus == plus


def real_first(pieces: list[str]) -> tuple[list[str], list[str]]:
    """(the differences not only in ids, in trace order; those only in ids)."""
    real = [p for p in pieces if not is_renumbering(p.splitlines()[1:])]
    return real, [p for p in pieces if p not in real]


def led(expected: Trace, actual: Trace, diff_text: str, max_lines: int = 60) -> str:
    """The readable diff, opened by the first difference not only in ids when its own first change is only in ids
    (the echo, in every later id, of one object more or less): the real difference on the first screen."""
    lines = diff_text.splitlines()
    changed = [ln for ln in lines[2:] if ln.startswith(("-", "+"))]
    first_pair = changed[:1] + [ln for ln in changed[1:2] if ln[0] != changed[0][0]]
    if not is_renumbering(first_pair):
        return diff_text
    real, echoes = real_first(hunks(expected, actual))
    if not real:
        return diff_text
    lead = [f"first difference not only in ids ({len(echoes)} only in ids, in the diff below):", *real[0].splitlines()]
    return "\n".join((lead + lines)[:max_lines + len(lead)])
