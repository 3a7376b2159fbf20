"""Known divergences waive exactly the symptom they name: a cell showing it AND another difference still fails."""

from __future__ import annotations

import fnmatch

import pytest

from parity.judging.findings import Finding, load_known, match_known
from parity.judging.differences import hunks
from parity.judging.trace import Trace, diff

RACE = {"backend": "redis", "flavour": "sync", "scenario": "*", "reason": "interrupt lost",
        "diff_pattern": r'(^\+\s+"interrupts": \[\],?$)|(^-.*"__interrupt__")'}


def _traces(interrupts: list, n: int) -> tuple[Trace, Trace]:
    ref, act = Trace(), Trace()
    ref.add("paused at", {"next": ["ask"], "values": {"n": 2}, "interrupts": [{"question": "go on?"}]})
    act.add("paused at", {"next": ["ask"], "values": {"n": n}, "interrupts": interrupts})
    return ref, act


def _finding(ref: Trace, act: Trace) -> Finding:
    return Finding("redis", "sync", None, "test_x", "C12", "", diff(ref, act) or "")


def test_the_named_symptom_alone_is_waived():
    ref, act = _traces([], n=2)
    assert match_known(_finding(ref, act), [RACE], [hunks(ref, act)])["reason"] == "interrupt lost"


def test_the_symptom_plus_another_difference_is_not_waived():
    ref, act = _traces([], n=7)  # the interrupt is lost AND a value is wrong
    assert len(hunks(ref, act)) == 2
    assert match_known(_finding(ref, act), [RACE], [hunks(ref, act)]) is None


def test_every_repeated_run_must_be_explained():
    ok_ref, ok_act = _traces([], n=2)
    bad_ref, bad_act = _traces([{"question": "go on?"}], n=9)
    runs = [hunks(ok_ref, ok_act), hunks(bad_ref, bad_act)]
    assert match_known(_finding(ok_ref, ok_act), [RACE], runs) is None


@pytest.mark.parametrize("field,value", [("backend", "postgres"), ("flavour", "async")])
def test_entry_scope(field, value):
    ref, act = _traces([], n=2)
    finding = _finding(ref, act)
    setattr(finding, field, value)
    assert match_known(finding, [RACE], [hunks(ref, act)]) is None


def test_shipped_entries_name_their_symptom_and_reason():
    for entry in load_known():
        assert entry["reason"] and entry["diff_pattern"], entry


def test_waivers_reviewed_on_builtin_savers_never_cover_a_third_party_saver_with_a_matching_name():
    from parity.options import Options
    from parity.session import ParitySession

    session = ParitySession(Options(backends=["memory", "redis-mine"],
                                    savers=["redis-mine=tests.broken_savers:correct_memory"]))
    try:
        assert any(fnmatch.fnmatchcase("redis-mine", e["backend"]) for e in session.known), \
            "precondition: some waiver's backend pattern matches the name"
        assert session.known_for("redis-mine") == []
        assert session.known_for("redis") == session.known and session.known
    finally:
        session.close()


CONSTRUCTOR = {"backend": "redis*", "scenario": "*", "reason": "error as constructor dict",
               "diff_pattern": r'''^\+.*('lc': 2, 'type': 'constructor'|"type": "constructor")'''}


def test_a_known_symptom_next_to_another_difference_is_not_waived_and_says_what_is_left():
    # Seen on a real run: the error write came back as a constructor dict AND an extra pending write of another
    # task sat right after it. In a text diff that was one hunk, so the waiver for the first hid the second.
    ref, act = Trace(), Trace()
    ref.add("writes", {"pending_writes": [{"task_id": "a", "writes": [["__error__", "Boom('x')"]]}]})
    act.add("writes", {"pending_writes": [{"task_id": "a", "writes": [["__error__", {"lc": 2, "type": "constructor"}]]},
                                          {"task_id": "b", "writes": [["branch:to:bad", None]]}]})
    finding = Finding("redis", "sync", None, "test_x", "C12", "", diff(ref, act) or "")
    assert match_known(finding, [CONSTRUCTOR], [hunks(ref, act)]) is None
    assert finding.partly_explained and "branch:to:bad" in finding.partly_explained["unexplained"], \
        finding.partly_explained

    alone = Trace()
    alone.add("writes", {"pending_writes": [{"task_id": "a", "writes": [["__error__", {"lc": 2, "type": "constructor"}]]}]})
    assert match_known(Finding("redis", "sync", None, "test_x", "C12", "", ""), [CONSTRUCTOR],
                       [hunks(ref, alone)]) is not None


def test_a_missing_object_does_not_make_every_later_id_a_difference():
    import uuid

    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    ref, act = Trace(), Trace()
    ref.add("paused at", {"next": ["ask"], "interrupts": [{"id": first}]})
    act.add("paused at", {"next": ["ask"], "interrupts": []})  # the known race: this interrupt is lost...
    for t in (ref, act):  # ...which shifts the token of every later id (second: <id2> there, <id1> here)
        t.add("resume 0", {"__interrupt__": [{"id": second, "value": "again?"}]})
    pieces = hunks(ref, act)
    assert len(pieces) == 1 and '"interrupts": []' in pieces[0], pieces
    assert match_known(_finding(ref, act), [RACE], [pieces])["reason"] == "interrupt lost"


def test_a_link_to_the_wrong_checkpoint_stays_a_difference_after_renumbering():
    import uuid

    ids = [str(uuid.uuid4()) for _ in range(3)]
    good = [{"id": ids[0], "parent": None}, {"id": ids[1], "parent": ids[0]}, {"id": ids[2], "parent": ids[1]}]
    bad = [dict(c) for c in good]
    bad[2]["parent"] = ids[0]  # the newest checkpoint names the wrong parent
    ref, act = Trace(), Trace()
    ref.add("history", good)
    act.add("history", bad)
    pieces = hunks(ref, act)
    assert len(pieces) == 1 and ".parent" in pieces[0].splitlines()[0], pieces
