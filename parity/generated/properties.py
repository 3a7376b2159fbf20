"""The generated properties: each a strategy of op lists (parity.generated.ops) and the capabilities it needs."""

from __future__ import annotations

import string
from dataclasses import dataclass, field

from hypothesis import strategies as st

from parity.backends.capabilities import Capability as C
from parity.generated import strategies as gs
from parity.generated.ops import checkpoint_id


@dataclass(frozen=True)
class Property:
    name: str
    doc: str
    ops: st.SearchStrategy  # of list[tuple]
    requires: tuple[C, ...] = ()
    weight: float = 1.0  # share of the profile's examples per cell (long histories cost more per example)
    tags: tuple[str, ...] = field(default=())
    kind: str = "saver"  # what its ops are: "saver" (parity.generated.ops) or "graph" (graph_ops); picks the repro


CHANNELS = st.text(string.ascii_lowercase, min_size=1, max_size=6)
# Task paths as LangGraph passes them to put_writes; drawn per task, so a path often sorts opposite to its task id
# (writes_sort_key orders by path first: a saver ordering by task id returns them permuted).
TASK_PATHS = ("", "~__pregel_pull, a", "~__pregel_pull, z", "~__pregel_push, 0, 2")


@st.composite
def value_ops(draw) -> list[tuple]:
    """A checkpoint whose channels hold generated values, pending writes of generated values from two tasks,
    read back latest and by id."""
    # Every example also carries a channel of bare numbers: precision, NaN and signed-zero bugs hide in them, and
    # in a nested value a float is one leaf type of many.
    # A few edge floats (NaN, ±inf, -0.0, subnormals, 1/3 ...) in every example, as a list Hypothesis can shrink.
    edges = st.lists(st.sampled_from(gs.EDGE_FLOATS + gs.EDGE_INTS), min_size=1, max_size=6)
    state = {**draw(gs.states()), "numbers": draw(st.lists(st.one_of(gs.floats(), gs.ints()), max_size=6)),
             "edges": draw(edges)}
    writes = draw(st.lists(st.tuples(CHANNELS, gs.values(8)), min_size=1, max_size=3))
    other = draw(st.lists(st.tuples(CHANNELS, gs.values(4)), max_size=2))
    paths = draw(st.lists(st.sampled_from(TASK_PATHS), min_size=2, max_size=2))
    cid = checkpoint_id(1)
    ops = [("put", "t", "", cid, None, state, {}), ("put_writes", "t", "", cid, writes, "task-a", paths[0])]
    if other:
        ops.append(("put_writes", "t", "", cid, other, "task-b", paths[1]))
    return ops + [("get", "t", "", None), ("get", "t", "", cid)]


@st.composite
def top_value_ops(draw) -> list[tuple]:
    """Every top-level edge value (NaN, ±inf, -0.0, 1e20, a whole float past 2**53, ints at 2**63 and 2**64-1, the
    largest and smallest floats, NUL text) as a whole channel value and as a whole pending write, in every example
    (a nested NaN is another code path in a store than a top-level one): put, read back latest and by id."""
    edges = draw(st.permutations(gs.TOP_EDGES))  # all of them, in an order Hypothesis may vary
    state = {f"c{i}": v for i, v in enumerate(edges)}
    cid = checkpoint_id(1)
    return [("put", "t", "", cid, None, state, {}),
            ("put_writes", "t", "", cid, [(f"c{i}", v) for i, v in enumerate(edges)], "task-a", ""),
            ("get", "t", "", None), ("get", "t", "", cid)]


@st.composite
def list_argument_ops(draw) -> list[tuple]:
    """list() at its argument edges, every one in every example: filter values None (also against a missing key),
    True vs 1, 1 vs 1.0, 0 vs False, nested values and keys no checkpoint has; limit 0 and negative; before= naming
    no checkpoint id; then drawn combinations of filter, before and limit."""
    ops = [("put", "t", "", checkpoint_id(i + 1), checkpoint_id(i) if i else None, {"i": i}, meta)
           for i, meta in enumerate(gs.EDGE_METADATA)]
    every = [(flt, None, None) for flt in gs.EDGE_FILTERS] + [(None, None, 0), (None, None, -1), (None, "", None)]
    ids = [checkpoint_id(i + 1) for i in range(len(gs.EDGE_METADATA))] + [""]
    drawn = draw(st.lists(st.tuples(st.sampled_from(gs.EDGE_FILTERS + (None,)), st.sampled_from([None, *ids]),
                                    st.sampled_from([None, -1, 0, 1, 2])), max_size=4))
    return ops + [("list", "t", "", flt, before, limit) for flt, before, limit in every + drawn]


@st.composite
def identifier_ops(draw) -> list[tuple]:
    """Checkpoints under thread ids and namespaces that differ only in separators, unicode or length; each is
    read back, listed per thread, and (where capable) one thread is deleted and the others must stay."""
    threads = draw(gs.identifier_families())
    namespaces = draw(st.lists(st.one_of(st.just(""), gs.identifiers()), min_size=1, max_size=3, unique=True))
    ops, n = [], 0
    for thread in threads:
        for ns in namespaces:
            n += 1
            ops.append(("put", thread, ns, checkpoint_id(n), None, {"who": [thread, ns]}, {"n": n}))
    for thread in threads:
        ops += [("get", thread, ns, None) for ns in namespaces]
        ops.append(("list", thread, None, None, None, None))
    return ops


def delete_ops(ops: list[tuple]) -> list[tuple]:
    """After identifier_ops: delete the first thread, then every thread is read again."""
    threads = list(dict.fromkeys(op[1] for op in ops if op[0] == "put"))
    namespaces = list(dict.fromkeys(op[2] for op in ops if op[0] == "put"))
    return ops + [("delete", threads[0])] + [("get", t, ns, None) for t in threads for ns in namespaces]


@st.composite
def metadata_ops(draw) -> list[tuple]:
    """Checkpoints with generated metadata (nested, unicode, big ints, floats), listed with filters drawn from
    their own metadata (so filters match) and from generated values (so they mostly do not)."""
    metas = draw(st.lists(gs.metadata(), min_size=1, max_size=5))
    ops = [("put", "t", "", checkpoint_id(i + 1), checkpoint_id(i) if i else None, {"i": i}, m)
           for i, m in enumerate(metas)]
    ops.append(("list", "t", "", None, None, None))
    for _ in range(draw(st.integers(1, 3))):
        source = draw(st.sampled_from(metas))
        if source and draw(st.booleans()):
            picked = draw(st.lists(st.sampled_from(sorted(source)), min_size=1, unique=True))
            flt = {k: source[k] for k in picked}
        else:
            flt = draw(gs.metadata())
        ops.append(("list", "t", "", flt, None, None))
    return ops


@st.composite
def history_ops(draw, max_len: int = 300) -> list[tuple]:
    """A history of 1..max_len checkpoints with forks (a new checkpoint on an older parent, as update_state on a
    past config does), then: the whole list, pages with before + limit, and reads by id."""
    n = draw(st.one_of(st.integers(1, 12), st.integers(max_len // 3, max_len)))
    forks = draw(st.lists(st.integers(1, n), max_size=3))
    ops, parents = [], {}
    for i in range(1, n + 1):
        parent = i - 1 if i - 1 else None
        if i in forks and i > 2:
            parent = draw(st.integers(1, i - 2))
        parents[i] = parent
        ops.append(("put", "h", "", checkpoint_id(i), checkpoint_id(parent) if parent else None, {"i": i},
                    {"step": i - 2, "fork": parent is not None and parent != i - 1}))
    ops.append(("list", "h", "", None, None, None))
    for _ in range(draw(st.integers(1, 3))):
        before = draw(st.one_of(st.none(), st.integers(1, n)))
        limit = draw(st.one_of(st.none(), st.integers(1, n + 1)))
        ops.append(("list", "h", "", None, checkpoint_id(before) if before else None, limit))
    for i in draw(st.lists(st.integers(1, n), max_size=3)):
        ops.append(("get", "h", "", checkpoint_id(i)))
    return ops


PROPERTIES = {
    "values": Property("values", value_ops.__doc__, value_ops()),
    "identifiers": Property("identifiers", identifier_ops.__doc__, identifier_ops()),
    "identifiers_delete": Property("identifiers_delete", delete_ops.__doc__, identifier_ops().map(delete_ops),
                                   requires=(C.DELETE_THREAD,)),
    "metadata": Property("metadata", metadata_ops.__doc__, metadata_ops(), requires=(C.FULL_HISTORY, C.LIST_FILTER)),
    "top_values": Property("top_values", top_value_ops.__doc__, top_value_ops(), weight=0.2),
    "list_arguments": Property("list_arguments", list_argument_ops.__doc__, list_argument_ops(),
                               requires=(C.FULL_HISTORY, C.LIST_FILTER, C.LIST_BEFORE, C.LIST_LIMIT), weight=0.2),
    "history": Property("history", history_ops.__doc__, history_ops(),
                        requires=(C.FULL_HISTORY, C.LIST_BEFORE, C.LIST_LIMIT), weight=0.25),
}
