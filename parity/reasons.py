"""Why a cell or study did not run, as data (kind, subject, text), the way SQLAlchemy's exclusions explain themselves.

A test says `not_applicable(kind, subject, text)` (or the plugin marks it at collection); the results document
keeps the structured reasons on the cell row and its status is decided from them, never from the wording of a
skip message. The text still reads "not-applicable: ..." wherever pytest prints it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, NoReturn

import pytest

# What a reason can be about: a capability the backend lacks, the platform (an event loop, a signal), a server
# that is not there or not ours, what the run selected (backends, workloads), the profile (quick leaves it out),
# the scenario itself (it is about another flavour), or the study (nothing to measure this with).
KINDS = ("capability", "platform", "server", "selection", "profile", "scenario", "study")
PREFIX = "not-applicable: "
STASH = pytest.StashKey[tuple["Reason", ...]]()


@dataclass(frozen=True)
class Reason:
    kind: str  # one of KINDS
    subject: str  # the capability, loop, family or option it is about
    text: str  # one line for people

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"reason kind must be one of {KINDS}, got {self.kind!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def line(reasons: tuple[Reason, ...] | list[Reason]) -> str:
    return PREFIX + "; ".join(r.text for r in reasons)


class NotApplicable(pytest.skip.Exception):  # type: ignore[misc,name-defined]
    """A skip that carries its reasons; pytest reports it as any skip."""

    def __init__(self, *reasons: Reason) -> None:
        super().__init__(msg=line(reasons), _use_item_location=True)  # reported at the test, not here
        self.reasons = reasons


# pytest prints a skip raised in a test as "<module>.<class>: message"; read "Skipped: not-applicable: ..." like any
# skip (the terminal's -rs lines, a report's reason) rather than "parity.reasons.NotApplicable: ...".
NotApplicable.__module__, NotApplicable.__qualname__, NotApplicable.__name__ = "builtins", "Skipped", "Skipped"


def not_applicable(kind: str, subject: str, text: str) -> NoReturn:
    """Skip the running test (or fixture) as not applicable, for this reason."""
    raise NotApplicable(Reason(kind, subject, text))


def mark(item, *reasons: Reason) -> None:
    """Skip a collected item as not applicable before it runs (its reasons stay readable on the item)."""
    item.stash[STASH] = item.stash.get(STASH, ()) + tuple(reasons)
    item.add_marker(pytest.mark.skip(reason=line(item.stash[STASH])))


MARKER = "parity_not_applicable"


def marker(kind: str, subject: str, text: str):
    """A mark (e.g. for a pytest.param that can never apply, like a loop this platform lacks); the plugin turns it
    into a not-applicable skip with this reason at collection."""
    return getattr(pytest.mark, MARKER)(kind, subject, text)


def apply_markers(item) -> None:
    found = [Reason(*m.args) for m in item.iter_markers(MARKER)]
    if found:
        mark(item, *found)


def of(item, call) -> tuple[Reason, ...]:
    """The not-applicable reasons of a test that did not run: marked at collection or raised while running."""
    raised = getattr(getattr(call, "excinfo", None), "value", None)
    if isinstance(raised, NotApplicable):
        return raised.reasons
    return item.stash.get(STASH, ())
