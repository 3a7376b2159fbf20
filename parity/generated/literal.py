"""Python source for a generated value, exact when run again (NaN, -0.0, long runs, Enums, models, messages)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import math
import uuid
from typing import Any

# The names a literal may use, and the import line that brings each in (repro scripts import what they use).
IMPORTS = {"datetime": "import datetime", "Decimal": "from decimal import Decimal", "UUID": "from uuid import UUID",
           **{n: f"from langgraph.types import {n}" for n in ("Interrupt", "Send", "Command", "TimeoutPolicy")},
           "_DeltaSnapshot": "from langgraph.checkpoint.serde.types import _DeltaSnapshot"}


def literal(value: Any, used: set[str]) -> str:
    """Source text that evaluates to `value`; names it needs (classes, modules) are added to `used`."""
    t = type(value)
    if t is float:
        if math.isnan(value):
            return "float('nan')"
        return f"float('{value!r}')" if math.isinf(value) else repr(value)
    if t in (str, bytes):
        return _runs(value)
    if t is bytearray:
        return f"bytearray({_runs(bytes(value))})"
    if value is None or t in (bool, int):
        return repr(value)
    if t is list:
        return "[" + ", ".join(literal(v, used) for v in value) + "]"
    if t is tuple:
        return "(" + "".join(literal(v, used) + ", " for v in value) + ")"
    if t is dict:
        return "{" + ", ".join(f"{literal(k, used)}: {literal(v, used)}" for k, v in value.items()) + "}"
    if t in (set, frozenset):
        inner = ", ".join(literal(v, used) for v in value)
        return f"{t.__name__}([{inner}])"
    if isinstance(value, enum.Enum):
        used.add(t.__name__)
        return f"{t.__name__}.{value.name}"
    if isinstance(value, (dt.date, dt.time, dt.timedelta, dt.timezone)):
        used.add("datetime")
        return repr(value)
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        used.add(t.__name__)
        return repr(value)
    if t.__name__ == "Send" and t.__module__.startswith("langgraph."):  # a slotted class: node, arg, timeout
        used.add("Send")
        timeout = f", timeout={literal(value.timeout, used)}" if hasattr(value, "timeout") else ""  # langgraph 1.2+
        return f"Send({literal(value.node, used)}, {literal(value.arg, used)}{timeout})"
    if hasattr(t, "_fields"):  # a NamedTuple, e.g. _DeltaSnapshot
        used.add(t.__name__)
        return f"{t.__name__}(" + ", ".join(f"{f}={literal(getattr(value, f), used)}" for f in t._fields) + ")"
    if dataclasses.is_dataclass(value):
        used.add(t.__name__)
        return f"{t.__name__}(" + ", ".join(f"{f.name}={literal(getattr(value, f.name), used)}"
                                            for f in dataclasses.fields(value)) + ")"
    if hasattr(t, "model_fields"):
        used.add(t.__name__)
        fields = {k: getattr(value, k) for k in type(value).model_fields if k in value.model_fields_set}
        return f"{t.__name__}(" + ", ".join(f"{k}={literal(v, used)}" for k, v in fields.items()) + ")"
    raise TypeError(f"no literal for {t.__qualname__}")


def _runs(value: str | bytes) -> str:
    """A long string that repeats a short unit is written as unit * count (generated long strings are such runs)."""
    if len(value) > 120:
        for size in range(1, 9):
            unit = value[:size]
            if len(value) % size == 0 and unit * (len(value) // size) == value:
                return f"{unit!r} * {len(value) // size}"
    return repr(value)
