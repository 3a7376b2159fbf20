"""The user-defined types generated values use (Enum, dataclass, pydantic): importable, as a real app's would be."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from pydantic import BaseModel


class Color(enum.Enum):
    RED = "red"
    BLUE = 2
    NONE = None


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2**40


@dataclasses.dataclass
class Point:
    x: Any
    label: str


class Record(BaseModel):
    id: int
    payload: Any = None
