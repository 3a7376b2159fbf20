"""Hypothesis strategies for what users put through a checkpointer: values, identifiers, metadata, histories.

Values are limited to what langgraph-checkpoint's JsonPlusSerializer round-trips exactly on its own, with one
declared exception, tuples (see as_serialized; both checked by tests/test_generated.py against the installed
version): anything else lost is the serializer's limit, not a saver's.
Tuples are generated: JsonPlusSerializer returns every tuple as a list (tuples as dict keys stay tuples), so that
is the reference's contract and a saver must return lists where InMemorySaver does (the judge compares with the
reference's output, never with the input).
Not promised by JsonPlusSerializer 4.3 and so not generated: ints outside [-2**63, 2**64-1] (it raises), ZoneInfo
zones (they come back as fixed offsets), fold=1 datetimes (fold is dropped), bytearray below the top of a channel
value (bytes), sets holding tuples (the whole set comes back as a list of lists: a set cannot
hold the lists its tuples become),
models or dataclasses nested inside a pydantic model (model_dump() makes them dicts).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import string
import unicodedata

from hypothesis import strategies as st
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from parity.generated.types import Color, Level, Point, Record

INT_MIN, INT_MAX = -(2**63), 2**64 - 1  # msgpack's integer range; JsonPlusSerializer raises outside it
EDGE_INTS = (0, 1, -1, 2**31, 2**53, 2**53 + 1, -(2**53) - 1, 2**63 - 1, 2**63, INT_MAX, INT_MIN)
EDGE_FLOATS = (0.0, -0.0, float("nan"), float("inf"), float("-inf"), 5e-324, -5e-324, 2.2250738585072014e-308,
               1.7976931348623157e308, 0.1, 1 / 3, 2.0**53 + 2)
# Whole channel values at the edges where stores differ (a top-level primitive can be inlined, e.g. into JSONB, where
# a nested one is not): every one is tried in every example of the top_values property.
TOP_EDGES = (float("nan"), float("inf"), float("-inf"), -0.0, 1e20, 7.036890746412971e16, 1.7976931348623157e308,
             5e-324, 2**63, 2**64 - 1, -(2**63), "\x00", "a\x00b", "")
# Metadata and filters at list()'s argument edges: None against a missing key, True vs 1, 1 vs 1.0, 0 vs False,
# nested values, a key no checkpoint has.
EDGE_METADATA = ({"k": None, "b": True, "i": 1, "f": 1.0, "n": {"x": [1]}},
                 {"b": 1, "i": True, "f": 1, "z": 0},
                 {"k": 0, "b": False, "i": 1.0, "n": {"x": [1.0]}, "z": False})
EDGE_FILTERS = ({"k": None}, {"missing": None}, {"b": True}, {"b": 1}, {"i": 1}, {"i": 1.0}, {"f": 1}, {"z": False},
                {"z": 0}, {"n": {"x": [1]}}, {"n": {}}, {"missing": 1}, {})
SPECIALS = (":", "|", " ", "*", "{", "}", "-", ".", "_", "/", "\\", "%", "'", '"', "\t", "\n", "@", "#", "?", "[", "]")


@functools.cache  # built once: building a strategy costs more than drawing from it
def ints() -> st.SearchStrategy[int]:
    """Integers of the whole msgpack range, with the edges where stores lose precision (2**53, 2**63, 2**64-1)."""
    return st.one_of(st.sampled_from(EDGE_INTS), st.integers(INT_MIN, INT_MAX))


@functools.cache  # built once: building a strategy costs more than drawing from it
def floats() -> st.SearchStrategy[float]:
    """Every float: NaN (any payload), ±inf, -0.0, subnormals, full-precision values; judged bit for bit."""
    return st.one_of(st.sampled_from(EDGE_FLOATS), st.floats(allow_nan=True, allow_infinity=True,
                                                               allow_subnormal=True))


@functools.cache  # built once: building a strategy costs more than drawing from it
def texts() -> st.SearchStrategy[str]:
    """Text of every Unicode plane (surrogates excluded: they are not encodable text), NUL included, and long text."""
    chars = st.characters(codec="utf-8")
    long = st.builds(lambda c, n: c * n, st.text(chars, min_size=1, max_size=3), st.integers(2_000, 40_000))
    return st.one_of(st.text(chars, max_size=30), st.sampled_from(["", "\x00", "a\x00b", "\U0010fffd", "\u2028"]), long)


@functools.cache  # built once: building a strategy costs more than drawing from it
def binaries() -> st.SearchStrategy[bytes]:
    """bytes (including NUL and invalid UTF-8), short and long."""
    return st.one_of(st.binary(max_size=40), st.binary(min_size=2_000, max_size=20_000))


@functools.cache  # built once: building a strategy costs more than drawing from it
def zones() -> st.SearchStrategy[dt.timezone]:
    """Fixed-offset zones: UTC and offsets east and west, to the minute and second."""
    offsets = st.timedeltas(min_value=dt.timedelta(hours=-23, minutes=-59), max_value=dt.timedelta(hours=23, minutes=59))
    return st.one_of(st.just(dt.timezone.utc), st.builds(dt.timezone, offsets))


@functools.cache  # built once: building a strategy costs more than drawing from it
def times() -> st.SearchStrategy:
    """date, time and datetime (naive and aware, several zones, fold 0), and timedelta."""
    aware_or_naive = st.one_of(st.none(), zones())
    return st.one_of(st.dates(), st.times(timezones=aware_or_naive).map(lambda t: t.replace(fold=0)),
                     st.datetimes(timezones=aware_or_naive).map(lambda d: d.replace(fold=0)), st.timedeltas())


@functools.cache  # built once: building a strategy costs more than drawing from it
def scalars() -> st.SearchStrategy:
    """Every leaf type: None, bool, int, float, Decimal, str, bytes, times, UUID, Enum (bytearray: see states())."""
    return st.one_of(st.none(), st.booleans(), ints(), floats(), st.decimals(allow_nan=True, allow_infinity=True),
                     texts(), binaries(), times(), st.uuids(), st.sampled_from(Color), st.sampled_from(Level))


@functools.cache  # built once: building a strategy costs more than drawing from it
def hashables() -> st.SearchStrategy:
    """Set elements and dict keys: str, int, bool, None, and flat tuples of them (tuples only as keys)."""
    flat = st.one_of(st.text(max_size=8), st.integers(INT_MIN, INT_MAX), st.booleans(), st.none())
    return flat


@functools.cache  # built once: building a strategy costs more than drawing from it
def keys() -> st.SearchStrategy:
    """Dict keys: str, int and tuple keys (JsonPlusSerializer keeps all three)."""
    return st.one_of(st.text(max_size=12), st.integers(INT_MIN, INT_MAX),
                     st.tuples(st.integers(-10, 10), st.text(max_size=4)))


def messages(children: st.SearchStrategy) -> st.SearchStrategy:
    """LangChain messages: human, AI (with tool calls), system and tool messages, with unicode content."""
    content = st.text(st.characters(codec="utf-8"), max_size=20)
    ids = st.one_of(st.none(), st.text(string.ascii_letters + string.digits, min_size=1, max_size=8))
    call = st.fixed_dictionaries({"name": st.text(string.ascii_letters, min_size=1, max_size=6),
                                  "args": st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
                                  "id": st.text(string.ascii_letters, min_size=1, max_size=6)})
    return st.one_of(st.builds(HumanMessage, content=content, id=ids),
                     st.builds(AIMessage, content=content, id=ids, tool_calls=st.lists(call, max_size=2)),
                     st.builds(SystemMessage, content=content, id=ids),
                     st.builds(ToolMessage, content=content, id=ids, tool_call_id=st.text(string.ascii_letters, min_size=1, max_size=6)))


@functools.cache  # built once: building a strategy costs more than drawing from it
def values(max_leaves: int = 12) -> st.SearchStrategy:
    """Nested state values: scalars inside lists, dicts (str/int/tuple keys), sets, frozensets, dataclasses,
    pydantic models and LangChain messages, as deep as max_leaves allows."""
    def extend(children):
        return st.one_of(st.lists(children, max_size=4),
                         st.dictionaries(keys(), children, max_size=4),
                         st.sets(hashables(), max_size=4), st.frozensets(hashables(), max_size=4),
                         st.lists(children, max_size=3).map(tuple),  # come back as lists: as_serialized()
                         st.builds(Point, x=children, label=st.text(max_size=6)),
                         # pydantic models are stored as model_dump(): nested models/dataclasses in them come
                         # back as dicts (not promised), so a model holds scalars and lists of them
                         st.builds(Record, id=st.integers(INT_MIN, 2**63 - 1),
                                   payload=st.one_of(scalars(), st.lists(scalars(), max_size=3),
                                                     st.lists(scalars(), max_size=3).map(tuple))),
                         messages(children), langgraph_objects(children))
    return st.recursive(scalars(), extend, max_leaves=max_leaves)


def langgraph_objects(children: st.SearchStrategy) -> st.SearchStrategy:
    """LangGraph's own types that cross a saver (parity.generated.fields.STORED), every field filled in some
    example: Interrupt (value, id, response_schema), Send (node, arg, timeout: a TimeoutPolicy), Command (graph,
    update, resume, goto), a DeltaChannel's _DeltaSnapshot. tests/test_fields.py fails on an installed field that
    none of these fills. Fields an older langgraph lacks (response_schema, timeout and TimeoutPolicy before 1.2)
    are left out as its classes declare them (fields.installed()), so one strategy serves every supported release."""
    from langgraph.types import Command, Interrupt, Send

    from parity.generated.fields import installed

    have = installed()
    name = st.text(string.ascii_letters + "_", min_size=1, max_size=8)
    send = st.builds(Send, name, children, **_optional(have, "Send", timeout=_timeouts))
    schema = st.one_of(st.none(), st.dictionaries(st.sampled_from(["type", "title", "enum"]), st.text(max_size=6),
                                                  min_size=1, max_size=2))
    interrupt = st.builds(Interrupt, children, id=st.text(string.hexdigits, min_size=1, max_size=32),
                          **_optional(have, "Interrupt", response_schema=lambda: schema))
    goto = st.one_of(name, send, st.lists(st.one_of(name, send), max_size=2))
    command = st.builds(Command, graph=st.sampled_from([None, Command.PARENT]),
                        update=st.one_of(st.none(), st.dictionaries(name, children, max_size=2)),
                        resume=st.one_of(st.none(), children), goto=goto)
    return st.one_of(interrupt, send, command, st.builds(_delta_snapshot, children))


def _optional(have: dict[str, tuple[str, ...]], cls: str, **strategies) -> dict[str, st.SearchStrategy]:
    """The keyword strategies (made by calling each) for the fields the installed `cls` declares."""
    return {field: make() for field, make in strategies.items() if field in have.get(cls, ())}


def _timeouts() -> st.SearchStrategy:
    """A Send's timeout: None or a TimeoutPolicy (langgraph 1.2+)."""
    from langgraph.types import TimeoutPolicy

    # TimeoutPolicy refuses 0 and below
    seconds = st.one_of(st.none(), st.floats(0.001, 1e6),
                        st.timedeltas(dt.timedelta(microseconds=1), dt.timedelta(days=2)))
    policy = st.builds(TimeoutPolicy, run_timeout=seconds, idle_timeout=seconds,
                       refresh_on=st.sampled_from(_literal(TimeoutPolicy, "refresh_on") or ("auto",)))
    return st.one_of(st.none(), policy)


def _delta_snapshot(value):
    from langgraph.checkpoint.serde.types import _DeltaSnapshot

    return _DeltaSnapshot(value)


def _literal(cls: type, field: str) -> tuple:
    """The values a Literal-typed field of the installed langgraph allows (empty when it is not a Literal)."""
    import typing

    try:
        hint = typing.get_type_hints(cls)[field]
    except Exception:  # an annotation this Python cannot evaluate: the caller's default
        return ()
    return tuple(a for a in typing.get_args(hint) if isinstance(a, str)) if typing.get_origin(hint) is typing.Literal \
        else ()


def as_serialized(value):
    """`value` as JsonPlusSerializer (and so InMemorySaver) returns it: every tuple a list, except a dict key;
    inside lists, dicts, dataclasses and pydantic models alike. Everything else the generators make is kept."""
    if type(value) in (list, tuple):
        return [as_serialized(v) for v in value]
    if type(value) is dict:
        return {k: as_serialized(v) for k, v in value.items()}
    if isinstance(value, Point):
        return Point(as_serialized(value.x), value.label)
    if isinstance(value, Record):
        return Record(id=value.id, payload=as_serialized(value.payload))
    if type(value).__module__.startswith("langgraph.") and dataclasses.is_dataclass(value):
        return dataclasses.replace(value, **{f.name: as_serialized(getattr(value, f.name))
                                             for f in dataclasses.fields(value) if f.init})
    if type(value).__name__ == "Send" and type(value).__module__.startswith("langgraph."):
        kept = {"timeout": value.timeout} if hasattr(value, "timeout") else {}  # no timeout before langgraph 1.2
        return type(value)(value.node, as_serialized(value.arg), **kept)
    if type(value).__name__ == "_DeltaSnapshot":
        return type(value)(as_serialized(value.value))
    return value


@functools.cache  # built once: building a strategy costs more than drawing from it
def states(max_leaves: int = 12) -> st.SearchStrategy[dict]:
    """A graph state's channel values: a few channels (names LangGraph allows), each holding a generated value."""
    names = st.text(string.ascii_lowercase + "_", min_size=1, max_size=8).filter(lambda n: not n.startswith("__"))
    # A bytearray survives only as a whole channel value (dumps_typed special-cases it; nested it becomes bytes).
    top = st.one_of(values(max_leaves), st.binary(max_size=40).map(bytearray))
    return st.dictionaries(names, top, min_size=1, max_size=4)


@functools.cache  # built once: building a strategy costs more than drawing from it
def identifiers() -> st.SearchStrategy[str]:
    """Thread ids / namespaces: ':' '|' spaces '*' '{}' '-' '.' and other separators, unicode, and long ones."""
    part = st.text(string.ascii_letters + string.digits, min_size=1, max_size=6)
    joined = st.builds(lambda parts, seps: "".join(p + s for p, s in zip(parts, seps)) + parts[-1],
                       st.lists(part, min_size=2, max_size=4), st.lists(st.sampled_from(SPECIALS), min_size=3, max_size=3))
    uni = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=12)
    long = st.builds(lambda c, n: c * n, part, st.integers(100, 400))
    return st.one_of(joined, uni, long, st.sampled_from(SPECIALS).map(lambda s: f"a{s}b"))


# Two spellings a store may take for one id, each a function of the id: an id and its variant are different ids to
# LangGraph, and a store that compares them under a collation or a normalisation shares one history between them.
VARIANTS = {
    "case": lambda t: t.swapcase(),
    "composed/decomposed": lambda t: unicodedata.normalize("NFD", t) if unicodedata.normalize("NFD", t) != t
    else unicodedata.normalize("NFC", t),
    "trailing space": lambda t: t + " ",
    "leading space": lambda t: " " + t,
    "full width": lambda t: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in t),
    "accent dropped": lambda t: "".join(c for c in unicodedata.normalize("NFD", t) if not unicodedata.combining(c)),
    "emoji presentation": lambda t: t + "\ufe0f",
}
# Bases with something for every variant to change: letters of both cases, an accent, an emoji.
PAIR_BASES = ("Alice@x.com", "José", "t1", "Ünïcødé", "user-1", "❤", "Straße", "ǅemal")
# Lengths around the limits of common key columns and index entries (VARCHAR(255), 767 and 3072 index bytes ...).
LIMIT_LENGTHS = (64, 191, 255, 256, 767, 1024, 3072, 4096)


@functools.cache  # built once: building a strategy costs more than drawing from it
def identity_pairs() -> st.SearchStrategy[list[str]]:
    """An id and one variant of it that differs only in case, composed vs decomposed accents, a leading or trailing
    space, full width, a dropped accent or an emoji presentation selector (VARIANTS): never the same id."""
    base = st.one_of(st.sampled_from(PAIR_BASES), st.text(st.characters(codec="utf-8", exclude_characters="\x00"),
                                                         min_size=1, max_size=8))
    return st.builds(_pair, base, st.sampled_from(sorted(VARIANTS)))


def _pair(base: str, variant: str) -> list[str]:
    """[base, its variant]; where the variant changes nothing (no cased letter, no accent...), a trailing space."""
    other = VARIANTS[variant](base)
    return [base, other if other != base else base + " "]


def kinship(a: str, b: str) -> str | None:
    """How two different ids are one id to a store that folds, normalises or trims (a VARIANTS name), or None."""
    if a == b:
        return None
    for name, variant in VARIANTS.items():
        if variant(a) == b or variant(b) == a:
            return name
    for name, same in (("case", str.casefold), ("composed/decomposed", lambda t: unicodedata.normalize("NFC", t)),
                       ("leading or trailing spaces", str.strip),
                       ("width", lambda t: unicodedata.normalize("NFKC", t))):
        if same(a) == same(b):
            return name
    return None


@functools.cache  # built once: building a strategy costs more than drawing from it
def long_identifiers() -> st.SearchStrategy[str]:
    """Ids as long as a store's key limits, and one past them (LIMIT_LENGTHS), in ASCII and in 2-byte letters."""
    return st.builds(lambda c, n, extra: (c * (n + extra))[: n + extra], st.sampled_from(["x", "é", "ab:"]),
                     st.sampled_from(LIMIT_LENGTHS), st.integers(-1, 1))


@functools.cache  # built once: building a strategy costs more than drawing from it
def identifier_families() -> st.SearchStrategy[list[str]]:
    """Distinct ids that differ only in their separators ("a:b", "a b", "a_b", ...) or not at all after escaping,
    and in every family one pair that differs only in case, accents, spaces, width or emoji (identity_pairs) and,
    often, an id as long as a key limit: a store that mangles, splits, folds or truncates ids makes two collide."""
    base = st.lists(st.text(string.ascii_lowercase, min_size=1, max_size=4), min_size=2, max_size=3)
    seps = st.lists(st.sampled_from(SPECIALS), min_size=2, max_size=5, unique=True)
    family = st.builds(lambda parts, ss: [s.join(parts) for s in ss], base, seps)
    longs = st.lists(long_identifiers(), max_size=1)
    return st.builds(lambda pair, fam, extra, long: list(dict.fromkeys(pair + fam + extra + long)), identity_pairs(),
                     family, st.lists(identifiers(), max_size=2), longs)


@functools.cache  # built once: building a strategy costs more than drawing from it
def json_values(max_leaves: int = 8) -> st.SearchStrategy:
    """Metadata values: JSON-shaped (None, bool, int, finite float incl. -0.0, unicode str, lists, str-keyed dicts)."""
    leaf = st.one_of(st.none(), st.booleans(), ints(), st.floats(allow_nan=False, allow_infinity=False),
                     st.text(st.characters(codec="utf-8"), max_size=12))
    return st.recursive(leaf, lambda c: st.one_of(st.lists(c, max_size=3),
                                                  st.dictionaries(st.text(max_size=6), c, max_size=3)),
                        max_leaves=max_leaves)


@functools.cache  # built once: building a strategy costs more than drawing from it
def metadata() -> st.SearchStrategy[dict]:
    """User metadata of a checkpoint: nested, unicode, big ints, floats, under a few shared keys (so filters hit),
    often beside LangGraph's own keys (langgraph_metadata)."""
    user = st.dictionaries(st.sampled_from(["user", "score", "tags", "n", "ü", "a:b", "step_x"]), json_values(),
                           max_size=4)
    return st.builds(lambda own, mine: {**own, **mine}, langgraph_metadata(), user)


@functools.cache  # built once: building a strategy costs more than drawing from it
def langgraph_metadata() -> st.SearchStrategy[dict]:
    """CheckpointMetadata's own keys, each optional: source (the installed Literal's values), step, parents,
    run_id, counters_since_delta_snapshot (channel -> [updates, supersteps])."""
    from langgraph.checkpoint.base import CheckpointMetadata

    names = st.text(string.ascii_lowercase + "_", min_size=1, max_size=6)
    sources = _literal(CheckpointMetadata, "source") or ("input", "loop", "update", "fork")
    return st.fixed_dictionaries({}, optional={
        "source": st.sampled_from(sources), "step": st.integers(-1, 10**6),
        "parents": st.dictionaries(st.one_of(st.just(""), names), st.uuids().map(str), max_size=2),
        "run_id": st.uuids().map(str),
        # a 2-element list: how it is persisted and read back ("no native tuple" in JSON, its docstring says)
        "counters_since_delta_snapshot": st.dictionaries(names, st.lists(st.integers(0, 10**4), min_size=2,
                                                                         max_size=2), max_size=2)})
