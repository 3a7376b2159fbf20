"""The exact judge: a value as a type-tagged tree, so type, bits, key types and time zones all count.

Two values are the same for a user when their `exact()` trees are equal: tuple != list, int != float != bool,
-0.0 != 0.0, floats compared bit for bit (every NaN equals every NaN: NaN has no value to compare), an aware
datetime != the naive one, dict key types kept. Set elements and dict items are compared as collections (a dict's
insertion order is not part of what the serializer promises), and so are the items of an `Unordered` (with their count).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import math
import struct
import uuid
from typing import Any


class Unordered(tuple):
    """Items whose order is not promised but whose count is (a superstep's streamed events: parallel tasks stream
    as they finish): compared as a multiset."""

    __slots__ = ()


def exact(value: Any) -> Any:
    """A JSON-able, type-tagged tree of `value`; equal trees mean equal values under the rules above."""
    t = type(value)
    name = f"{t.__module__}.{t.__qualname__}"
    if value is None or t in (bool, str):
        return [name, value]
    if t is int:
        return [name, str(value)]
    if t is float:
        return [name, "nan" if math.isnan(value) else struct.pack(">d", value).hex()]
    if t in (bytes, bytearray):
        return [name, value.hex()]
    if t is Unordered:
        return [name, sorted((exact(v) for v in value), key=repr)]
    if t in (list, tuple):
        return [name, [exact(v) for v in value]]
    if t in (set, frozenset):
        return [name, sorted((exact(v) for v in value), key=repr)]
    if t is dict:
        return [name, sorted(([exact(k), exact(v)] for k, v in value.items()), key=repr)]
    if isinstance(value, enum.Enum):
        return [name, value.name, exact(value.value)]
    if isinstance(value, (dt.datetime, dt.time)):
        return [name, value.isoformat(), repr(value.tzinfo), value.fold]
    if isinstance(value, (dt.date, dt.timedelta, decimal.Decimal, uuid.UUID)):
        return [name, repr(value)]
    if dataclasses.is_dataclass(value):
        return [name, {f.name: exact(getattr(value, f.name)) for f in dataclasses.fields(value)}]
    if hasattr(t, "_fields"):  # a NamedTuple (e.g. DeltaChannel's _DeltaSnapshot): its fields, not its repr
        return [name, {f: exact(getattr(value, f)) for f in t._fields}]
    slots = [s for k in t.__mro__ for s in (getattr(k, "__slots__", ()) or ()) if not s.startswith("__")]
    if slots and not hasattr(t, "model_fields"):  # a slotted class (e.g. Send: its repr omits its timeout)
        return [name, {s: exact(getattr(value, s, None)) for s in dict.fromkeys(slots)}]
    if hasattr(t, "model_fields"):  # pydantic models, LangChain messages: their declared fields
        return [name, {k: exact(getattr(value, k)) for k in type(value).model_fields}]
    return [name, "repr", repr(value)]


def same(a: Any, b: Any) -> bool:
    return exact(a) == exact(b)
