"""Reasons are data: a cell is not-applicable because a structured reason says so, not because of its wording."""

from __future__ import annotations

import pytest

from parity import reasons


class _Item:
    def __init__(self) -> None:
        self.stash, self.marks = pytest.Stash(), []

    def add_marker(self, mark) -> None:
        self.marks.append(mark)


def test_a_raised_reason_is_read_back_structured():
    with pytest.raises(reasons.NotApplicable) as info:
        reasons.not_applicable("capability", "prune", "x lacks capability prune")
    call = type("Call", (), {"excinfo": info})()
    assert reasons.of(_Item(), call) == (reasons.Reason("capability", "prune", "x lacks capability prune"),)
    assert str(info.value.msg) == "not-applicable: x lacks capability prune"


def test_a_plain_skip_worded_like_one_is_not_a_reason():
    with pytest.raises(pytest.skip.Exception) as info:
        pytest.skip("not-applicable: only the wording")
    assert reasons.of(_Item(), type("Call", (), {"excinfo": info})()) == ()


def test_marks_at_collection_accumulate_and_unknown_kinds_are_refused():
    item = _Item()
    reasons.mark(item, reasons.Reason("platform", "proactor", "proactor: Windows only"))
    reasons.mark(item, reasons.Reason("capability", "ttl", "lacks ttl"))
    assert [r.kind for r in reasons.of(item, None)] == ["platform", "capability"]
    assert item.marks[-1].kwargs["reason"] == "not-applicable: proactor: Windows only; lacks ttl"
    with pytest.raises(ValueError, match="kind"):
        reasons.Reason("mood", "x", "y")
