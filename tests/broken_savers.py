"""Deliberately broken savers (InMemorySaver subclasses) that the compat matrix must catch, plus a correct control.

Use: --parity-saver broken_order=tests.broken_savers:wrong_list_order --parity-backend broken_order
"""

from __future__ import annotations

import json
from typing import Any

from langgraph.checkpoint.base import WRITES_IDX_MAP, BaseCheckpointSaver, get_checkpoint_id, get_checkpoint_metadata
from langgraph.constants import TASKS
from langgraph.checkpoint.memory import InMemorySaver

CAPS = ("sync", "async", "full_history", "delete_thread", "list_filter", "list_before", "list_limit", "durable")
_stores: dict[tuple[str, str], InMemorySaver] = {}  # (kind, scope) -> saver, so a reopened saver sees the same data


class WrongListOrder(InMemorySaver):
    """list() yields oldest first instead of newest first (get_state_history inherits the bug)."""

    def list(self, config, *, filter=None, before=None, limit=None):
        items = list(super().list(config, filter=filter, before=before))
        items.reverse()
        return iter(items[:limit] if limit else items)


class DropsPendingWrites(InMemorySaver):
    """put_writes keeps special writes (interrupts, errors, resumes) but silently drops the tasks' channel writes."""

    def put_writes(self, config, writes, task_id, task_path=""):
        kept = [(c, v) for c, v in writes if c in WRITES_IDX_MAP]
        return super().put_writes(config, kept, task_id, task_path)


class LosesParentLinks(InMemorySaver):
    """put() forgets which checkpoint the new one follows: parent_config is always None."""

    def put(self, config, checkpoint, metadata, new_versions):
        conf = {k: v for k, v in config["configurable"].items() if k != "checkpoint_id"}
        return super().put({**config, "configurable": conf}, checkpoint, metadata, new_versions)


class MangledMetadata(InMemorySaver):
    """Metadata goes through a lossy text store: non-ASCII becomes '?', ints beyond 2**53 become floats, None keys vanish."""

    def put(self, config, checkpoint, metadata, new_versions):
        merged = get_checkpoint_metadata(config, metadata)  # what InMemorySaver would store, then mangled
        return super().put({**config, "metadata": {}}, checkpoint, _mangle(merged), new_versions)


class DropsSends(InMemorySaver):
    """put_writes drops the Sends (writes to the tasks channel) a node emitted; other writes are kept."""

    def put_writes(self, config, writes, task_id, task_path=""):
        return super().put_writes(config, [(c, v) for c, v in writes if c != TASKS], task_id, task_path)


class WritesInTaskIdOrder(InMemorySaver):
    """get_tuple returns pending writes in (task_id, idx) order, not writes_sort_key's (task_path, task_id, idx), as a
    store ordering by its key columns does: parallel tasks' writes come back permuted (task ids are hashes)."""

    def _ordered_writes(self, thread_id, checkpoint_ns, checkpoint_id):
        stored = self.writes.get((thread_id, checkpoint_ns, checkpoint_id), {})
        return [stored[k] for k in sorted(stored)]  # keys are (task_id, idx)


class BeforeOnlyWithinNamespace(InMemorySaver):
    """list(before=X) resolves X among the listed namespace's own checkpoints and ignores it when X is not one of
    them (as a store that looks X up to compare its timestamp would): a stateful subgraph, which LangGraph loads on a
    parent's replay or fork with list(its namespace, before=the parent's checkpoint, limit=1), starts from its latest
    state instead of its state as of that checkpoint."""

    def list(self, config, *, filter=None, before=None, limit=None):
        if before and config and get_checkpoint_id(before):
            conf = config["configurable"]
            own = self.storage.get(conf.get("thread_id"), {}).get(conf.get("checkpoint_ns", ""), {})
            before = before if get_checkpoint_id(before) in own else None
        return super().list(config, filter=filter, before=before, limit=limit)


class ListsWithoutPendingWrites(InMemorySaver):
    """list() reads the checkpoints but not their writes (get_tuple does): get_state_history shows past states'
    tasks without their results or interrupts, and Sends waiting in a past state are lost from its tasks."""

    def list(self, config, *, filter=None, before=None, limit=None):
        for tup in super().list(config, filter=filter, before=before, limit=limit):
            yield tup._replace(pending_writes=[])


def _mangle(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _mangle(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_mangle(v) for v in value]
    if isinstance(value, str):
        return value.encode("ascii", "replace").decode("ascii")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        return float(value)
    return json.loads(json.dumps(value)) if isinstance(value, float) else value


def _factory(kind: str, cls: type[InMemorySaver]):
    def factory(ctx):
        if ctx.scope.startswith("parity_detect_"):  # capability detection (not used: CAPS are declared)
            return cls()
        return _stores.setdefault((kind, ctx.scope), cls())
    factory.__doc__ = cls.__doc__
    factory.parity_capabilities = CAPS
    return factory


wrong_list_order = _factory("order", WrongListOrder)
drops_pending_writes = _factory("writes", DropsPendingWrites)
loses_parent_links = _factory("parents", LosesParentLinks)
mangles_metadata = _factory("metadata", MangledMetadata)
drops_sends = _factory("sends", DropsSends)
writes_in_task_id_order = _factory("task_id_order", WritesInTaskIdOrder)
before_only_within_namespace = _factory("before_ns", BeforeOnlyWithinNamespace)
lists_without_pending_writes = _factory("list_writes", ListsWithoutPendingWrites)
class HangsOnRead(InMemorySaver):
    """get_tuple never returns (as a saver blocked on a silent server would)."""

    def get_tuple(self, config):
        import time

        time.sleep(3600)


hangs_on_read = _factory("hangs", HangsOnRead)


_ONE_STORE = InMemorySaver()


def one_store_for_all(ctx):
    """A correct saver that ignores ctx.scope, like a server saver on its default namespace: every cell shares it."""
    return _ONE_STORE


one_store_for_all.parity_capabilities = CAPS
correct_memory = _factory("control", InMemorySaver)
correct_memory.__doc__ = "A plain InMemorySaver through the third-party path: the control that must pass everything."

BROKEN = {"broken_order": "wrong_list_order", "broken_writes": "drops_pending_writes",
          "broken_parents": "loses_parent_links", "broken_metadata": "mangles_metadata",
          "broken_sends": "drops_sends", "broken_write_order": "writes_in_task_id_order",
          "broken_subgraph_replay": "before_only_within_namespace", "broken_history_writes": "lists_without_pending_writes"}


# Correct savers that spell what the API leaves free differently from InMemorySaver (docs/judging.md): the judge
# must find nothing on them. They keep each checkpoint's channel values with the checkpoint (as sqlite or lmdb do):
# InMemorySaver files values under (channel, version), which is right only for versions unique across the
# branches of a thread (its random tails); with plain 1, 2, 3 a fork would overwrite the older branch's values.
class _WholeCheckpoints(InMemorySaver):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str, str], dict[str, Any]] = {}

    def put(self, config, checkpoint, metadata, new_versions):
        stored = super().put(config, checkpoint, metadata, new_versions)
        c = stored["configurable"]
        self.values[(c["thread_id"], c["checkpoint_ns"], c["checkpoint_id"])] = {
            k: self.serde.dumps_typed(v) for k, v in checkpoint["channel_values"].items()}
        return stored

    def _whole(self, tup):
        if tup is None:
            return None
        c = tup.config["configurable"]
        values = self.values[(c["thread_id"], c.get("checkpoint_ns", ""), c["checkpoint_id"])]
        return tup._replace(checkpoint={**tup.checkpoint,
                                        "channel_values": {k: self.serde.loads_typed(v) for k, v in values.items()}})

    def get_tuple(self, config):
        return self._whole(super().get_tuple(config))

    def list(self, config, **kw):
        return iter([self._whole(t) for t in super().list(config, **kw)])

    def delete_thread(self, thread_id):
        super().delete_thread(thread_id)
        self.values = {k: v for k, v in self.values.items() if k[0] != thread_id}


class IntVersions(_WholeCheckpoints):
    """Channel versions as the base class makes them: int 1, 2, 3 ... (no "<counter>.<random>" strings)."""

    get_next_version = BaseCheckpointSaver.get_next_version


class HexVersions(_WholeCheckpoints):
    """Channel versions as fixed-width hex text that sorts like the counter: "v00000001", "v0000000a" ..."""

    def get_next_version(self, current, channel=None):
        return f"v{(0 if current is None else int(current[1:], 16)) + 1:08x}"


class FloatVersions(_WholeCheckpoints):
    """Channel versions as floats a tenth apart: 0.1, 0.2 ... (the API allows str, int or float)."""

    def get_next_version(self, current, channel=None):
        return round((current or 0.0) + 0.1, 6)


int_versions = _factory("int_versions", IntVersions)
hex_versions = _factory("hex_versions", HexVersions)
float_versions = _factory("float_versions", FloatVersions)
REPRESENTATIONS = {"int_versions": "int_versions", "hex_versions": "hex_versions", "float_versions": "float_versions"}


class OtherOrderAndClock(InMemorySaver):
    """Orders what the API leaves unordered otherwise than InMemorySaver, and spells timestamps with "Z": list(None)
    and list() without checkpoint_ns return the threads / namespaces in reverse order (each still newest first)."""

    def list(self, config, *, filter=None, before=None, limit=None):
        items = [self._clock(t) for t in super().list(config, filter=filter, before=before, limit=limit)]
        if limit is not None or (config is not None and "checkpoint_ns" in config["configurable"]):
            return iter(items)
        groups: dict[tuple[str, str], list] = {}
        for t in items:
            c = t.config["configurable"]
            groups.setdefault((c["thread_id"], c["checkpoint_ns"]), []).append(t)
        return iter([t for key in reversed(list(groups)) for t in groups[key]])

    def get_tuple(self, config):
        return self._clock(super().get_tuple(config))

    @staticmethod
    def _clock(tup):
        if tup is None:
            return None
        return tup._replace(checkpoint={**tup.checkpoint, "ts": tup.checkpoint["ts"].replace("+00:00", "Z")})


other_order_and_clock = _factory("other_order", OtherOrderAndClock)
REPRESENTATIONS["other_order"] = "other_order_and_clock"
# Bugs only generated inputs find (compat/test_generated.py): each passes every hand-written compat scenario.
def _deep(value: Any, leaf) -> Any:
    """value with leaf() applied to every float inside its dicts, lists, tuples and sets."""
    if isinstance(value, dict):
        return {k: _deep(v, leaf) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return type(value)(_deep(v, leaf) for v in value)
    return leaf(value) if type(value) is float else value


class _ValueBug(InMemorySaver):
    """Applies `leaf` to floats in channel values and pending writes on the way in."""

    leaf = staticmethod(lambda x: x)

    def put(self, config, checkpoint, metadata, new_versions):
        cp = {**checkpoint, "channel_values": _deep(checkpoint["channel_values"], self.leaf)}
        return super().put(config, cp, metadata, new_versions)

    def put_writes(self, config, writes, task_id, task_path=""):
        return super().put_writes(config, [(c, _deep(v, self.leaf)) for c, v in writes], task_id, task_path)


class RoundsFloats(_ValueBug):
    """Floats are stored rounded to 9 significant digits (as a text store with %.9g would)."""

    leaf = staticmethod(lambda x: float(f"{x:.9g}"))


class NanToNone(_ValueBug):
    """NaN is stored as None (as a JSON store without NaN support would)."""

    leaf = staticmethod(lambda x: None if x != x else x)


class DropsNegativeZero(_ValueBug):
    """-0.0 is stored as 0.0 (the sign of zero is lost, as in a numeric column)."""

    leaf = staticmethod(lambda x: 0.0 if x == 0 else x)


def _key(config):
    """Thread ids with ':' or ' ' stored under '_' (as a store that escapes its key separator carelessly)."""
    conf = config.get("configurable", {})
    tid = conf.get("thread_id")
    if isinstance(tid, str):
        conf = {**conf, "thread_id": tid.replace(":", "_").replace(" ", "_")}
    return {**config, "configurable": conf}


class MiskeysThreadIds(InMemorySaver):
    """Thread ids are keyed with ':' and ' ' replaced by '_': "a:b", "a b" and "a_b" share one thread."""

    def put(self, config, checkpoint, metadata, new_versions):
        return super().put(_key(config), checkpoint, metadata, new_versions)

    def put_writes(self, config, writes, task_id, task_path=""):
        return super().put_writes(_key(config), writes, task_id, task_path)

    def get_tuple(self, config):
        return super().get_tuple(_key(config))

    def list(self, config, *, filter=None, before=None, limit=None):
        return super().list(config and _key(config), filter=filter, before=before and _key(before), limit=limit)

    def delete_thread(self, thread_id):
        return super().delete_thread(_key({"configurable": {"thread_id": thread_id}})["configurable"]["thread_id"])


def _collated(thread_id: str) -> str:
    """A thread id as a case- and accent-insensitive collation with PAD SPACE compares it (MySQL's utf8mb4 *_ci):
    case folded, accents dropped (composed or decomposed), full width as ASCII, trailing spaces ignored."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", thread_id)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().rstrip(" ")


def _as_asked(tup, thread_id):
    """A tuple read under a collated key, shown under the thread id the caller gave (as a SQL saver echoes it)."""
    def conf(cfg):
        return cfg and {**cfg, "configurable": {**cfg["configurable"], "thread_id": thread_id}}
    return tup and tup._replace(config=conf(tup.config), parent_config=conf(tup.parent_config))


class FoldsCase(InMemorySaver):
    """Thread ids compared under a case- and accent-insensitive collation: "Alice@x.com" and "alice@x.com", "José"
    and "Jose", "t1 " and "t1" share one history, and delete_thread of one deletes the other. One id alone behaves."""

    def _keyed(self, config):
        conf = config["configurable"]
        return {**config, "configurable": {**conf, "thread_id": _collated(conf["thread_id"])}}

    def put(self, config, checkpoint, metadata, new_versions):
        stored = super().put(self._keyed(config), checkpoint, metadata, new_versions)
        return {**stored, "configurable": {**stored["configurable"], "thread_id": config["configurable"]["thread_id"]}}

    def put_writes(self, config, writes, task_id, task_path=""):
        return super().put_writes(self._keyed(config), writes, task_id, task_path)

    def get_tuple(self, config):
        return _as_asked(super().get_tuple(self._keyed(config)), config["configurable"]["thread_id"])

    def list(self, config, *, filter=None, before=None, limit=None):
        tid = config and config["configurable"].get("thread_id")
        if tid is None:
            return super().list(config, filter=filter, before=before, limit=limit)
        items = super().list(self._keyed(config), filter=filter, before=before and self._keyed(before), limit=limit)
        return iter([_as_asked(t, tid) for t in items])

    def delete_thread(self, thread_id):
        return super().delete_thread(_collated(thread_id))


class FirstPageOnly(InMemorySaver):
    """list() without a limit returns only the first page of 100 (a paginated store that forgets the cursor)."""

    def list(self, config, *, filter=None, before=None, limit=None):
        items = super().list(config, filter=filter, before=before, limit=limit)
        return iter(list(items)[:100]) if limit is None else items


class _PickleSerde:
    """Pickles values: keeps exactly what JsonPlusSerializer changes (tuples stay tuples)."""

    def dumps_typed(self, obj):
        import pickle

        return "pickle", pickle.dumps(obj)

    def loads_typed(self, data):
        import pickle

        return pickle.loads(data[1])


class KeepsTuples(InMemorySaver):
    """Returns tuples as tuples (a pickling store): InMemorySaver, the reference, returns them as lists."""

    def __init__(self) -> None:
        super().__init__(serde=_PickleSerde())


class KeepsOldestOnPrune(InMemorySaver):
    """prune(strategy="keep_latest") keeps each namespace's oldest checkpoint instead of its latest."""

    def prune(self, thread_ids, *, strategy="keep_latest"):
        for thread_id in thread_ids:
            for checkpoints in self.storage.get(thread_id, {}).values():
                for cid in sorted(checkpoints)[1 if strategy == "keep_latest" else 0:]:
                    del checkpoints[cid]


class ReadsLatestForAnyId(InMemorySaver):
    """get_tuple(config with a checkpoint_id) returns the thread's latest checkpoint: time travel (replay, fork from
    a past checkpoint) silently starts from the latest."""

    def get_tuple(self, config):
        conf = {k: v for k, v in config["configurable"].items() if k != "checkpoint_id"}
        return super().get_tuple({**config, "configurable": conf})


rounds_floats = _factory("round", RoundsFloats)
reads_latest_for_any_id = _factory("latest", ReadsLatestForAnyId)
keeps_oldest_on_prune = _factory("prune", KeepsOldestOnPrune)
keeps_oldest_on_prune.parity_capabilities = CAPS + ("prune",)
keeps_tuples = _factory("tuples", KeepsTuples)
nan_to_none = _factory("nan", NanToNone)
drops_negative_zero = _factory("negzero", DropsNegativeZero)
miskeys_thread_ids = _factory("miskey", MiskeysThreadIds)
folds_case = _factory("fold", FoldsCase)
first_page_only = _factory("page", FirstPageOnly)
# name -> (factory, the generated test that must catch it)
GENERATED_BUGS = {"gen_round": ("rounds_floats", "test_generated_values"),
                  "gen_nan": ("nan_to_none", "test_generated_values"),
                  "gen_negzero": ("drops_negative_zero", "test_generated_values"),
                  "gen_miskey": ("miskeys_thread_ids", "test_generated_identifiers"),
                  "gen_fold": ("folds_case", "test_generated_identifiers_delete"),
                  "gen_page": ("first_page_only", "test_generated_history"),
                  "gen_tuples": ("keeps_tuples", "test_generated_values"),
                  "gen_prune": ("keeps_oldest_on_prune", "test_generated_saver_api_sequence"),
                  # the same bug through a compiled graph: the graph-operations machine meets thread "a:b"
                  "gen_graph_miskey": ("miskeys_thread_ids", "test_generated_graph_operations"),
                  # time travel through a compiled graph: replay / fork from a past checkpoint
                  "gen_graph_latest": ("reads_latest_for_any_id", "test_generated_graph_operations"),
                  # issue 31 item 3, each missed by the machine's earlier graph (no parallel tasks, no stateful
                  # subgraph, history without tasks): order-sensitive channels rebuilt after parallel tasks ...
                  "gen_graph_write_order": ("writes_in_task_id_order", "test_generated_graph_operations"),
                  # ... a stateful subgraph under the parent's replay and fork ...
                  "gen_graph_subgraph_replay": ("before_only_within_namespace", "test_generated_graph_operations"),
                  # ... and the tasks of past states (an interrupted Send fan-out) through get_state_history
                  "gen_graph_history_writes": ("lists_without_pending_writes", "test_generated_graph_operations")}


class PutRaises(InMemorySaver):
    """put raises on every call (a saver whose write path is broken): one root cause, however many cells fail."""

    def put(self, config, checkpoint, metadata, new_versions):
        raise ConnectionError("write refused: the store is read-only")

    async def aput(self, config, checkpoint, metadata, new_versions):
        raise ConnectionError("write refused: the store is read-only")


class NoSyncList(InMemorySaver):
    """An async saver without the sync list (BaseCheckpointSaver's raises NotImplementedError): LangGraph calls the
    sync list from a worker thread under graph.ainvoke (a sync node that reads a subgraph's state), and the
    built-in scenario test_sync_api_of_an_async_saver asks for it directly: one root cause."""

    list = BaseCheckpointSaver.list

    async def alist(self, config, **kw):
        for item in InMemorySaver.list(self, config, **kw):
            yield item


put_raises = _factory("put_raises", PutRaises)
no_sync_list = _factory("no_sync_list", NoSyncList)
no_sync_list.parity_capabilities = ("async", "full_history", "list_filter", "list_before", "list_limit", "durable")
