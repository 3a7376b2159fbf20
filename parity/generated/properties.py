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
    cid = checkpoint_id(1)
    ops = [("put", "t", "", cid, None, state, {}), ("put_writes", "t", "", cid, writes, "task-a")]
    if other:
        ops.append(("put_writes", "t", "", cid, other, "task-b"))
    return ops + [("get", "t", "", None), ("get", "t", "", cid)]


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
    "history": Property("history", history_ops.__doc__, history_ops(),
                        requires=(C.FULL_HISTORY, C.LIST_BEFORE, C.LIST_LIMIT), weight=0.25),
}
