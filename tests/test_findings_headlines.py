"""A finding's headline names the cell's most significant difference, never a cosmetic one that comes first."""

from __future__ import annotations

import uuid

import pytest

from parity.judging.differences import hunks, most_significant, piece_summary
from parity.judging.judge import headline
from parity.judging.trace import Trace


def _trace(*entries) -> Trace:
    t = Trace()
    for label, value in entries:
        t.add(label, value)
    return t


def _cp(parent: str, versions: dict, values: dict, metadata: dict | None = None) -> dict:
    return {"parent_config": {"configurable": {"checkpoint_id": parent}}, "metadata": metadata or {"step": 1},
            "checkpoint": {"channel_versions": versions, "versions_seen": {}, "channel_values": values}}


def _headline(expected: Trace, actual: Trace, flavour: str = "sync") -> str:
    return headline(actual, hunks(expected, actual), "", flavour)


def test_a_changed_value_outranks_versions_and_links_listed_before_it():
    a, b, c = (str(uuid.uuid4()) for _ in range(3))
    ref = _trace(("cp", _cp(a, {"x": "1.1", "y": "2.5"}, {"x": 1})))
    act = _trace(("cp", _cp(b, {"x": 1, "y": 1}, {"x": 2})))  # versions now equal; a new parent id; value changed
    ref.add("other", {"parent_config": {"configurable": {"checkpoint_id": a}}})
    act.add("other", {"parent_config": {"configurable": {"checkpoint_id": c}}})  # points elsewhere
    assert _headline(ref, act).startswith("cp.checkpoint.channel_values.x"), _headline(ref, act)


def test_links_outrank_versions_when_nothing_returned_differs():
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    ref = _trace(("cp", _cp(a, {"x": "1.1", "y": "2.5"}, {})), ("p", {"config": {"configurable": {"checkpoint_id": a}}}))
    act = _trace(("cp", _cp(a, {"x": 1, "y": 1}, {})), ("p", {"config": {"configurable": {"checkpoint_id": b}}}))
    assert _headline(ref, act).startswith("p.config"), _headline(ref, act)


def test_metadata_lost_is_named_before_what_it_causes_later():
    ref = _trace(("meta", {"metadata": {"user": "Zoë", "step": 1}}), ("filter by user", ["Zoë"]))
    act = _trace(("meta", {"metadata": {"step": 1}}), ("filter by user", [None]))
    assert _headline(ref, act).startswith("meta.metadata.user"), _headline(ref, act)


def test_an_error_outranks_everything_and_says_what_was_raised():
    ref = _trace(("state", {"values": {"n": 1}}), ("list", [1, 2]))
    act = _trace(("state", {"values": {"n": 2}}), ("raised", {"type": "TypeError", "message": "bad"}))
    assert _headline(ref, act) == "raised TypeError: bad"


def test_a_missing_api_method_says_what_a_user_loses():
    ref = _trace(("deleted", None))
    act = _trace(("raised", {"type": "NotImplementedError", "message": "", "call": "delete_thread"}))
    line = _headline(ref, act)
    assert line.startswith("not implemented: delete_thread: a user loses deleting a thread"), line
    graph = _trace(("raised", {"type": "NotImplementedError", "message": "", "call": "invoke"}))
    assert "graph.ainvoke()" in _headline(ref, graph, "async")


def test_a_whole_observation_missing_is_named_by_its_label_not_by_a_bracket():
    ref = _trace(("a", 1), ("history", [{"step": 1}]))
    act = _trace(("a", 1))
    top = most_significant(hunks(ref, act))
    assert piece_summary(top) == 'history missing: [{"step": 1}]', piece_summary(top)


def _given(entries):
    from parity.judging.trace import Trace

    t = Trace()
    t.entries = list(entries)
    return t


def _renumbered_pair(steps: int = 40):
    """A saver that returns one checkpoint id for every step (each step's id is then only a link to another id)
    and, at the end, a changed value: the value is the difference to show first."""
    expected = [("step", {"checkpoint_id": f"<id{k}>", "n": k}) for k in range(1, steps + 1)] + [("final", {"n": 1})]
    actual = [("step", {"checkpoint_id": "<id1>", "n": k}) for k in range(1, steps + 1)] + [("final", {"n": 2})]
    return _given(expected), _given(actual)


def test_differences_only_in_ids_come_after_the_others():
    from parity.judging.differences import hunks, led, real_first
    from parity.judging.trace import diff

    expected, actual = _renumbered_pair()
    real, echoes = real_first(hunks(expected, actual))
    assert len(real) == 1 and real[0].startswith("@@ ## final.n") and len(echoes) == 39, (real, len(echoes))
    text = led(expected, actual, diff(expected, actual)).splitlines()
    assert text[:4] == ["first difference not only in ids (39 only in ids, in the diff below):", "@@ ## final.n",
                        '- "n": 1', '+ "n": 2'], text[:6]
    assert text[4] == "--- reference", "the whole diff follows"


def test_the_fixture_message_shows_the_real_difference_first_in_under_40_lines():
    from types import SimpleNamespace

    from parity.fixtures import Recorder, SameAsReference

    expected, actual = _renumbered_pair()
    rec_e, rec_a = Recorder("s1", ()), Recorder("s2", ())
    rec_e.trace, rec_a.trace = expected, actual
    judge = SameAsReference(SimpleNamespace(backend="x", flavour="sync", loop=None))
    with pytest.raises(pytest.fail.Exception) as failed:
        judge._judge(rec_e, None, rec_a, ValueError("boom\n" * 30))
    lines = str(failed.value.msg).splitlines()
    assert len(lines) < 40, "\n".join(lines)
    assert lines[0].endswith("1 difference(s) and 39 only in ids, first: final.n: - \"n\": 1"), lines[0]
    assert lines[2] == "@@ ## final.n", lines[:4]
    assert "39 difference(s) only in ids not shown" in "\n".join(lines) and "x raised:" in "\n".join(lines)
