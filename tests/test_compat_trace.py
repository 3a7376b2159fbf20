"""Trace normalisation hides ids, clocks and version tails, and keeps every difference a user could notice."""

import uuid

from parity.judging.observe import sorted_writes
from parity.judging.trace import Trace, diff


def _trace(*entries):
    t = Trace()
    for label, value in entries:
        t.add(label, value)
    return t


def _ids(n):
    return [str(uuid.uuid4()) for _ in range(n)]


def test_ids_and_timestamps_are_normalised():
    a, b = _ids(2), _ids(2)
    t1 = _trace(("cp", {"checkpoint": {"checkpoint_id": a[0], "parent_checkpoint_id": a[1], "ts": "2026-01-01T00:00:00",
                                       "ns": f"child:{a[0]}"}}))
    t2 = _trace(("cp", {"checkpoint": {"checkpoint_id": b[0], "parent_checkpoint_id": b[1], "ts": "2027-05-05T11:11:11",
                                       "ns": f"child:{b[0]}"}}))
    assert diff(t1, t2) is None, diff(t1, t2)


def _versions(seen: dict, **versions) -> Trace:
    return _trace(("cp", {"checkpoint": {"channel_versions": versions, "versions_seen": seen}}))


MEM = ["%032d.%016d" % (n, tail) for n, tail in ((1, 4417), (2, 9182), (3, 1234))]  # InMemorySaver's own spelling


def test_channel_versions_compare_by_order_and_equality_not_by_spelling():
    """docs/judging.md "Channel versions": str, int or float, any spelling that keeps get_next_version's order."""
    reference = _versions({"node": {"a": MEM[0]}}, a=MEM[1], b=MEM[1], c=MEM[2])
    for one, two, three in ((1, 2, 3), (0.1, 0.2, 0.3), ("v01", "v02", "v0a"), (10, 20, 31)):
        assert diff(reference, _versions({"node": {"a": one}}, a=two, b=two, c=three)) is None, (one, two, three)


def test_channel_versions_that_change_order_or_equality_are_a_difference():
    reference = _versions({"node": {"a": MEM[0]}}, a=MEM[1], b=MEM[1], c=MEM[2])
    assert diff(reference, _versions({"node": {"a": 1}}, a=2, b=3, c=3)) is not None  # b no longer equal to a
    assert diff(reference, _versions({"node": {"a": 3}}, a=2, b=2, c=3)) is not None  # seen newer than current
    assert diff(reference, _versions({"node": {"a": 1}}, a=2, b=2)) is not None  # a channel lost
    assert diff(reference, _versions({"node": {"a": "1"}}, a=2, b=2, c=3)) is not None  # mixed types: no order


def test_a_version_like_string_outside_a_checkpoint_is_data():
    assert diff(_trace(("v", MEM[0])), _trace(("v", "%032d.%016d" % (1, 1)))) is not None


def test_a_broken_parent_link_is_a_difference():
    a, b = _ids(3), _ids(3)
    ok = _trace(("h", [{"id": a[0], "parent": a[1]}, {"id": a[1], "parent": a[2]}]))
    wrong = _trace(("h", [{"id": b[0], "parent": b[2]}, {"id": b[1], "parent": b[2]}]))  # first points past its parent
    lost = _trace(("h", [{"id": b[0], "parent": None}, {"id": b[1], "parent": b[2]}]))
    assert diff(ok, wrong) is not None
    assert diff(ok, lost) is not None


def test_list_order_is_kept():
    a = _ids(3)
    newest_first = _trace(("list", [{"checkpoint_id": a[2], "step": 2}, {"checkpoint_id": a[1], "step": 1}]))
    oldest_first = _trace(("list", [{"checkpoint_id": a[1], "step": 1}, {"checkpoint_id": a[2], "step": 2}]))
    assert diff(newest_first, oldest_first) is not None


def test_metadata_values_are_kept():
    assert diff(_trace(("m", {"big": 2**62 + 7, "user": "Zoë", "none": None})),
                _trace(("m", {"big": float(2**62 + 7), "user": "Zo?", "none": None}))) is not None
    assert diff(_trace(("m", {"none": None})), _trace(("m", {}))) is not None


def test_pending_writes_order_across_tasks_is_not_promised_but_within_a_channel_it_is():
    t1, t2 = _ids(2)
    a = [(t1, "log", 1), (t1, "log", 2), (t2, "log", 3)]
    b = [(t2, "log", 3), (t1, "log", 1), (t1, "log", 2)]
    swapped = [(t2, "log", 3), (t1, "log", 2), (t1, "log", 1)]
    dropped = [(t1, "log", 1), (t1, "log", 2)]
    w = lambda writes: _trace(("writes", sorted_writes(writes)))  # noqa: E731
    assert diff(w(a), w(b)) is None
    assert diff(w(a), w(swapped)) is not None
    assert diff(w(a), w(dropped)) is not None


def test_unordered_collections_sort_by_content_with_ids_masked():
    a, b = _ids(2), _ids(2)
    t1, t2 = Trace(), Trace()
    t1.add_unordered("set", [{"id": a[0], "v": 1}, {"id": a[1], "v": 2}])
    t2.add_unordered("set", [{"id": b[1], "v": 2}, {"id": b[0], "v": 1}])
    assert diff(t1, t2) is None
    t3 = Trace()
    t3.add_unordered("set", [{"id": b[1], "v": 2}])
    assert diff(t1, t3) is not None


def test_types_are_kept():
    from decimal import Decimal

    assert diff(_trace(("x", Decimal("1.5"))), _trace(("x", "1.5"))) is not None
    assert diff(_trace(("x", {1, 2})), _trace(("x", [1, 2]))) is not None


def test_a_uuid_value_in_state_is_compared_by_value():
    from parity.judging.observe import typed

    fixed = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert diff(_trace(("v", typed({"u": fixed}))), _trace(("v", typed({"u": uuid.uuid4()})))) is not None


def _differs(a, b):
    return diff(_trace(("x", a)), _trace(("x", b)))


def test_key_types_are_kept():
    assert _differs({1: "a"}, {"1": "a"}) is not None, "an int key that comes back as a str key is a difference"
    assert _differs({1: "a"}, {1: "a"}) is None


def test_tuple_and_list_differ():
    assert _differs({"v": (1, 2)}, {"v": [1, 2]}) is not None
    assert _differs({"v": (1, 2)}, {"v": (1, 2)}) is None


def test_a_uuid_object_and_its_string_differ():
    u = uuid.uuid4()
    assert _differs({"v": u}, {"v": str(u)}) is not None
    assert _differs({"v": uuid.uuid4()}, {"v": uuid.uuid4()}) is None, "random uuids still compare by position"


def test_id_and_time_keys_in_user_values_are_data():
    assert _differs({"values": {"id": "A-1"}}, {"values": {"id": "B-2"}}) is not None
    assert _differs({"id": "A-1"}, {"id": "B-2"}) is not None, "outside a LangGraph structure an id is data"
    assert _differs({"values": {"timestamp": "2020"}}, {"values": {"timestamp": 12345}}) is not None
    assert _differs({"checkpoint": {"channel_values": {"id": "A-1"}}},
                    {"checkpoint": {"channel_values": {"id": "B-2"}}}) is not None
    assert _differs({"values": {"metadata": {"id": "A-1"}}}, {"values": {"metadata": {"id": "B-2"}}}) is not None, \
        "a user's own 'metadata' key inside the values is still data"


def test_id_and_time_keys_in_langgraph_structures_are_tokenised():
    from langgraph.checkpoint.base import CheckpointTuple
    from langgraph.types import Interrupt

    a, b = _ids(2), _ids(2)
    assert _differs({"config": {"configurable": {"checkpoint_id": a[0]}}, "metadata": {"run_id": "r-1"}},
                    {"config": {"configurable": {"checkpoint_id": b[0]}}, "metadata": {"run_id": "r-2"}}) is None
    tup = lambda i, ts: CheckpointTuple({"configurable": {}}, {"id": i, "ts": ts}, {})  # noqa: E731
    assert _differs(tup(a[1], "2026-01-01"), tup(b[1], "2027-02-02")) is None
    assert _differs(Interrupt(value="q", id="0f" * 16), Interrupt(value="q", id="a1" * 16)) is None
    assert _differs(Interrupt(value={"id": "A-1"}, id="0f" * 16), Interrupt(value={"id": "B-2"}, id="0f" * 16)) is not None
    as_dict = lambda i: {"__interrupt__": [{"__type__": "Interrupt", "id": i, "value": "q"}]}  # noqa: E731
    assert _differs(as_dict("0f" * 16), as_dict("a1" * 16)) is None, "an Interrupt already turned into a dict"
    in_writes = lambda i: {"pending_writes": [["__interrupt__", [Interrupt(value="q", id=i)]]]}  # noqa: E731
    assert _differs(in_writes("0f" * 16), in_writes("a1" * 16)) is None, "an Interrupt inside a payload"


def test_typed_records_key_types():
    from parity.judging.observe import typed

    assert diff(_trace(("v", typed({1: "a"}))), _trace(("v", typed({"1": "a"})))) is not None


def test_pairing_long_entries_scores_lines_and_stays_in_order():
    """Entries of a long workload step (tens of KB of JSON) are paired on their lines: scoring them char by char
    took 60 s a cell (difflib is O(n*m)) and timed cells out; the most alike entry still pairs, in order."""
    from parity.judging.differences import LIKENESS_CHARS, _pair

    big = {"messages": [{"i": i, "text": "x" * 40} for i in range(LIKENESS_CHARS // 20)]}
    changed = {"messages": big["messages"][:-1] + [{"i": -1, "text": "y" * 40}]}
    other = {"unrelated": ["z" * 50] * (LIKENESS_CHARS // 40)}
    assert _pair([big], [other, changed], 0, 1, 0, 2) == [(0, 1)]
    assert _pair([big, other], [changed], 0, 2, 0, 1) == [(0, 0)]
