"""The fields of every LangGraph type that crosses a saver, read from the installed langgraph, and which of them the
generators fill: a new LangGraph release cannot add a field no generated input carries without a test failing."""

from __future__ import annotations

import dataclasses
import importlib
import typing
from typing import Any

# The types LangGraph stores through a saver, and where they cross it.
STORED = {
    "langgraph.types.Interrupt": "an interrupt's pending write (__interrupt__), a task's interrupts",
    "langgraph.types.Send": "a Send's pending write (__pregel_tasks), a checkpoint's pending sends",
    "langgraph.types.TimeoutPolicy": "a Send's timeout",
    "langgraph.types.Command": "a node's return value and a resume, as values a graph may keep in its state",
    "langgraph.checkpoint.serde.types._DeltaSnapshot": "a DeltaChannel's snapshot blob in channel_values",
    "langgraph.checkpoint.base.CheckpointMetadata": "put()'s metadata",
    "langgraph.checkpoint.base.Checkpoint": "put()'s checkpoint",
}
# Where each type's fields are filled: a Hypothesis strategy in parity.generated.strategies (checked by drawing
# from it: every field takes a non-default value in some example), or the put op (parity.generated.ops.run_op).
FILLED_BY = {
    "Interrupt": "langgraph_objects", "Send": "langgraph_objects", "TimeoutPolicy": "langgraph_objects",
    "Command": "langgraph_objects", "_DeltaSnapshot": "langgraph_objects",
    "CheckpointMetadata": "langgraph_metadata", "Checkpoint": "put op",
}


def fields_of(cls: type) -> tuple[str, ...]:
    """A type's fields as the installed langgraph declares them: dataclass fields, NamedTuple fields, TypedDict
    keys (inherited ones too), or the __slots__ of a plain class and its bases."""
    if dataclasses.is_dataclass(cls):
        return tuple(f.name for f in dataclasses.fields(cls))
    if hasattr(cls, "_fields"):
        return tuple(cls._fields)
    if typing.is_typeddict(cls):
        return tuple(typing.get_type_hints(cls))
    slots = [s for klass in reversed(cls.__mro__) for s in (getattr(klass, "__slots__", ()) or ())
             if not s.startswith("__")]
    return tuple(dict.fromkeys(slots))


def installed() -> dict[str, tuple[str, ...]]:
    """Type name -> its fields, for each STORED type the installed langgraph has (an older one may lack some)."""
    out = {}
    for path in STORED:
        module, _, name = path.rpartition(".")
        try:
            cls = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
        out[name] = fields_of(cls)
    return out


def filled(value: Any, seen: dict[str, set[str]]) -> None:
    """Record in `seen` which fields of STORED types hold a value other than their default, anywhere in `value`."""
    name = type(value).__name__
    if name in FILLED_BY and not isinstance(value, dict):
        for field in fields_of(type(value)):
            inner = getattr(value, field, None)
            if _set(type(value), field, inner):
                seen.setdefault(name, set()).add(field)
            filled(inner, seen)
    elif isinstance(value, dict):
        for v in value.values():
            filled(v, seen)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for v in value:
            filled(v, seen)


def _set(cls: type, field: str, value: Any) -> bool:
    """Whether a field holds something else than its default (a field defaulting to None counts when not None)."""
    if dataclasses.is_dataclass(cls):
        default = next((f.default for f in dataclasses.fields(cls) if f.name == field), dataclasses.MISSING)
        return default is dataclasses.MISSING or value != default
    return value is not None
