"""The second oracle: what the installed LangGraph promises about a saver's output, checked on that saver's own calls.

A diff against the reference cannot see a promise broken where the reference's output and the saver's differ per
run anyway (the order of writes of tasks whose ids are random). These rules read only one saver's recorded calls
(parity.judging.calls); each quotes its sentence in docs/judging.md ("Promises on a saver's own output"). A
*promise* is a sentence of langgraph.checkpoint.base; a *convention* is what every official saver does and no
sentence says, checked only where a capability declares it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

from langgraph.checkpoint.base import WRITES_IDX_MAP

try:  # the sort key and get_tuple's sentence about it came with langgraph-checkpoint 4.3: no promise before it
    from langgraph.checkpoint.base import writes_sort_key
except ImportError:  # pragma: no cover - an older langgraph-checkpoint
    writes_sort_key = None

from parity.backends.capabilities import Capability as C
from parity.generated.exact import exact
from parity.judging.calls import Call, Calls

Key = tuple[Any, str, Any]  # (thread id, namespace, checkpoint id)
Written = tuple[str, int, str, Any]  # one recorded write: (task_path of its put_writes call, idx, channel, value)
LABEL = {"promise": "promise broken", "convention": "convention broken"}  # trace labels: "<LABEL>: <rule name>"


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str  # "promise" (a sentence of the installed LangGraph) or "convention" (declared by a capability)
    says: str  # one line: what a finding's headline states
    check: Callable[["Log"], Iterator[tuple[Call, str]]]
    requires: tuple[C, ...] = ()
    # Why a breach of this rule may show in some runs only (None: it shows in every run that makes the calls).
    # Two runs of one saver, or of two providers, may then differ in it without anything else differing.
    by_chance: str | None = None


@dataclass(frozen=True)
class Broken:
    rule: Rule
    call: str  # the saver call whose output broke it ("get_tuple", "list"...)
    detail: str
    times: int = 1

    def entry(self) -> tuple[str, dict[str, Any]]:
        """The trace entry: the reference keeps every rule, so it shows as a difference of its own."""
        return f"{LABEL[self.rule.kind]}: {self.rule.name}", {"call": self.call, "rule": self.rule.says,
                                                                "first": self.detail, "times": self.times}


def key_of(config: Any) -> Key:
    conf = (config or {}).get("configurable", {}) if isinstance(config, dict) else {}
    return conf.get("thread_id"), conf.get("checkpoint_ns", ""), conf.get("checkpoint_id")


class Log:
    """The recorded calls, indexed: what was put under which key, which writes with which task path."""

    def __init__(self, calls: Calls) -> None:
        self.calls = [c for c in calls.log if c.end is not None]
        self.puts: dict[Key, list[Call]] = {}
        self.threads_put: set[Any] = set()
        # key -> task id -> every write put for it, in call order: (task_path of its own call, idx, channel, value).
        # One task may write under several paths: update_state(as_node=...) on an interrupted task reuses its task id
        # with the path ("__interrupt__", i), beside the interrupt the task wrote under its own path.
        self.writes: dict[Key, dict[str, list[Written]]] = {}
        for c in self.calls:
            if c.name == "put":
                thread, ns, parent = key_of(c.args.get("config"))
                cid = (c.args.get("checkpoint") or {}).get("id")
                self.puts.setdefault((thread, ns, cid), []).append(c)
                self.threads_put.add(thread)
            elif c.name == "put_writes":
                task, path = c.args.get("task_id"), c.args.get("task_path", "") or ""
                entry = self.writes.setdefault(key_of(c.args.get("config")), {}).setdefault(task, [])
                for i, (channel, value) in enumerate(c.args.get("writes") or ()):
                    entry.append((path, WRITES_IDX_MAP.get(channel, i), channel, value))

    def reads(self, *names: str) -> Iterator[tuple[Call, list[Any]]]:
        """(call, the tuples it returned) of each read that returned."""
        for c in self.calls:
            if c.name in names and c.ok:
                yield c, (c.items if c.name == "list" else [c.result] if c.result is not None else [])

    def mutated_between(self, thread: Any, start: int, end: int) -> bool:
        """Whether a put, delete_thread or prune of the thread ran at any time between start and end."""
        return any(c.name in ("put", "delete_thread", "prune") and thread in _threads(c) and c.start < end
                   and (c.end if c.end is not None else end) > start for c in self.calls)


def _threads(c: Call) -> list[Any]:
    return list(c.args.get("thread_ids") or []) if c.name == "prune" else [c.thread]


def tuple_key(tup: Any) -> Key:
    return key_of(getattr(tup, "config", None))


# ---- promises -------------------------------------------------------------------------------------------------

def writes_order(log: Log):
    for call, tuples in log.reads("get_tuple"):
        for tup in tuples:
            keys = sort_keys(log.writes.get(tuple_key(tup), {}), tup.pending_writes or [])
            known = [(k, w) for k, w in keys if k is not None]
            for (k1, w1), (k2, w2) in zip(known, known[1:]):
                if k2 < k1:
                    yield call, (f"pending write {_write(w2, k2)} came after {_write(w1, k1)}; "
                                 f"writes_sort_key puts it first")
                    break


def sort_keys(recorded: dict[str, list[Written]], returned: list) -> list[tuple[tuple | None, Any]]:
    """Each returned pending write with its writes_sort_key ("`task_path` is the string passed to `put_writes`": the
    path of the call that wrote it, idx its place there), matched by task, channel and value; None for a write no
    recorded put_writes explains."""
    unused = {task: list(ws) for task, ws in recorded.items()}
    out = []
    for write in returned:
        task, channel, value = write
        pick = _pick(unused.get(task, []), channel, value)
        if pick is None:
            out.append((None, write))
            continue
        unused[task].remove(pick)
        out.append((writes_sort_key(pick[0], task, pick[1]), write))
    return out


def _pick(written: list[Written], channel: str, value: Any) -> Written | None:
    """The recorded write a returned one is: same channel, the same value if any has it. A special write (idx < 0,
    WRITES_IDX_MAP) put again for its task replaces the earlier one, so the newest call's stands (InMemorySaver and
    SqliteSaver store its path too; PostgresSaver's upsert keeps the first path under the new value); a regular
    write is kept from the first call that gave its (task, idx), as every official saver does."""
    candidates = [w for w in written if w[2] == channel]
    pool = [w for w in candidates if _same(w[3], value)] or candidates
    if not pool:
        return None
    return pool[-1] if pool[-1][1] < 0 else pool[0]


def _same(a: Any, b: Any) -> bool:
    try:
        return exact(a) == exact(b)
    except Exception:  # a value exact() cannot read: matched by channel and order alone
        return False


def _write(write: Any, key: tuple) -> str:
    path, task, idx = key
    return f"(task_path {path!r}, task {task}, idx {idx}, channel {write[1]!r})"


def requested(log: Log):
    for call, tuples in log.reads("get_tuple"):
        want = key_of(call.args.get("config"))
        for tup in tuples:
            got = tuple_key(tup)
            cid = (tup.checkpoint or {}).get("id")
            if got[:2] != want[:2] or (want[2] is not None and got[2] != want[2]) or cid != got[2]:
                yield call, (f"asked for thread {want[0]!r} ns {want[1]!r} checkpoint {want[2]}, got thread "
                             f"{got[0]!r} ns {got[1]!r} checkpoint {got[2]} (its checkpoint's id {cid})")


def in_scope(log: Log):
    for call, tuples in log.reads("list"):
        conf = call.configurable
        for tup in tuples:
            got = dict(zip(("thread_id", "checkpoint_ns", "checkpoint_id"), tuple_key(tup)))
            wrong = [k for k in got if k in conf and conf[k] is not None and got[k] != conf[k]]
            if wrong:
                yield call, f"list({ {k: conf[k] for k in wrong} }) returned {wrong[0]} {got[wrong[0]]!r}"
                break


def stored(log: Log):
    for call, tuples in log.reads("get_tuple", "list"):
        for tup in tuples:
            key = tuple_key(tup)
            if key[0] in log.threads_put and key not in log.puts:
                yield call, (f"returned checkpoint {key[2]} under thread {key[0]!r} ns {key[1]!r}, where no put "
                             f"stored it")
                break


def limit(log: Log):
    for call, tuples in log.reads("list"):
        n = call.args.get("limit")
        if isinstance(n, int) and not isinstance(n, bool) and n >= 0 and len(tuples) > n:
            yield call, f"list(limit={n}) returned {len(tuples)} checkpoints"


def before(log: Log):
    for call, tuples in log.reads("list"):
        bound = key_of(call.args.get("before"))[2]
        late = [tuple_key(t)[2] for t in tuples if bound is not None and str(tuple_key(t)[2]) >= str(bound)]
        if late:
            yield call, f"list(before=checkpoint {bound}) returned checkpoint {late[0]}, not older"


def unique(log: Log):
    for call, tuples in log.reads("list"):
        keys = [tuple_key(t) for t in tuples]
        twice = [k for i, k in enumerate(keys) if k in keys[:i]]
        if twice:
            yield call, f"one list() returned checkpoint {twice[0][2]} of thread {twice[0][0]!r} twice"


def readable(log: Log):
    """A checkpoint that put() stored is there for the next get_tuple of its thread, unless the thread was deleted
    or pruned since (a store that folds one thread id into another loses it)."""
    for call, tuples in log.reads("get_tuple"):
        thread, ns, cid = key_of(call.args.get("config"))
        if tuples or cid is not None:
            continue
        earlier = [p for (t, n, _), ps in log.puts.items() if (t, n) == (thread, ns) for p in ps
                   if p.ok and p.end < call.start]
        if earlier and not any(c.name in ("delete_thread", "prune") and thread in _threads(c) and c.start < call.end
                               for c in log.calls):
            yield call, f"get_tuple(thread {thread!r}, ns {ns!r}) returned None after a put stored a checkpoint there"


def deleted(log: Log):
    for call, tuples in log.reads("get_tuple", "list"):
        thread = key_of(call.args.get("config"))[0]
        gone = [d for d in log.calls if d.name == "delete_thread" and d.ok and d.thread == thread
                and d.end < call.start]
        if thread is None or not gone or not tuples:
            continue
        if not any(p.name == "put" and p.thread == thread and gone[-1].start < p.start < call.end for p in log.calls):
            yield call, f"{call.name}(thread {thread!r}) returned a checkpoint after delete_thread({thread!r})"


def parents(log: Log):
    for call, tuples in log.reads("get_tuple", "list"):
        for tup in tuples:
            puts = log.puts.get(tuple_key(tup))
            if not puts:
                continue
            got = key_of(tup.parent_config)[2] if tup.parent_config else None
            given = {key_of(p.args.get("config"))[2] for p in puts}
            if got not in given:
                yield call, (f"checkpoint {tuple_key(tup)[2]} has parent {got}; put() was given parent "
                             f"{sorted(map(str, given))[0]}")
                break


# ---- conventions ----------------------------------------------------------------------------------------------

def newest_first(log: Log):
    for call, tuples in log.reads("list"):
        last: dict[tuple, Any] = {}
        for tup in tuples:
            thread, ns, cid = tuple_key(tup)
            if (thread, ns) in last and str(cid) >= str(last[(thread, ns)]):
                yield call, f"list() returned checkpoint {cid} after {last[(thread, ns)]} of the same thread"
                break
            last[(thread, ns)] = cid


def latest_first_listed(log: Log):
    firsts: dict[tuple, list[tuple[Call, Any]]] = {}
    for call, tuples in log.reads("list"):
        a = call.args
        n = a.get("limit")
        if call.configurable.get("thread_id") is not None and not a.get("filter") and not a.get("before") \
                and (n is None or (isinstance(n, int) and n >= 1)) and "checkpoint_id" not in call.configurable:
            thread, ns, _ = key_of(a.get("config"))
            if "checkpoint_ns" in call.configurable:
                firsts.setdefault((thread, ns), []).append((call, tuple_key(tuples[0])[2] if tuples else None))
    for call, tuples in log.reads("get_tuple"):
        thread, ns, cid = key_of(call.args.get("config"))
        if cid is not None:
            continue
        latest = tuple_key(tuples[0])[2] if tuples else None
        for other, first in firsts.get((thread, ns), []):
            span = min(call.start, other.start), max(call.end, other.end)
            if first != latest and not log.mutated_between(thread, *span):
                yield call, f"latest get_tuple is checkpoint {latest}; list() of the thread begins with {first}"
                return


RULES = (
    Rule("pending_writes_order", "promise", "get_tuple's pending_writes must be in writes_sort_key order "
         "(task_path, task_id, idx)", writes_order,
         by_chance="a saver that orders writes by task id breaks it only in runs whose random task ids sort against "
                   "the task paths (with two parallel tasks, about one run in two)"),
    Rule("returns_the_requested_checkpoint", "promise", "get_tuple returns the requested checkpoint tuple: the "
         "config's thread, namespace and checkpoint id", requested),
    Rule("list_in_scope", "promise", "list(config) returns only checkpoints the config selects", in_scope),
    Rule("stored_under_its_config", "promise", "a checkpoint is read back under the config it was put with",
         stored),
    Rule("put_is_readable", "promise", "a checkpoint put() stored is there for get_tuple of its thread", readable),
    Rule("list_limit", "promise", "list(limit=n) returns at most n checkpoints", limit, (C.LIST_LIMIT,)),
    Rule("list_before", "promise", "list(before=cfg) returns only checkpoints older than cfg's", before,
         (C.LIST_BEFORE,)),
    Rule("checkpoint_ids_unique", "promise", "checkpoint ids are unique: one list() returns each checkpoint once",
         unique),
    Rule("delete_thread_deletes", "promise", "after delete_thread, the thread has no checkpoints", deleted,
         (C.DELETE_THREAD,)),
    Rule("parent_is_put_parent", "promise", "a checkpoint's parent_config names the checkpoint put() was given",
         parents, (C.FULL_HISTORY,)),
    Rule("list_newest_first", "convention", "list() returns a thread's checkpoints newest first", newest_first,
         (C.LIST_LIMIT,)),
    Rule("latest_is_first_listed", "convention", "the latest get_tuple is the first checkpoint list() returns",
         latest_first_listed, (C.LIST_LIMIT,)),
)
RULES = tuple(r for r in RULES if r.name != "pending_writes_order" or writes_sort_key is not None)
BY_NAME = {r.name: r for r in RULES}


def by_chance(finding: dict[str, Any]) -> str | None:
    """Why this finding's breach shows in some runs only, if it is a rule's breach that does."""
    rule = BY_NAME.get((finding.get("contract") or {}).get("name", ""))
    return rule.by_chance if rule else None


def broken(calls: Calls, capabilities) -> list[Broken]:
    """The rules this saver's recorded calls break (rules whose capability the backend lacks are not checked)."""
    log = Log(calls)
    out = []
    for rule in RULES:
        if any(cap not in capabilities for cap in rule.requires):
            continue
        found = list(rule.check(log))
        if found:
            out.append(Broken(rule, found[0][0].name, found[0][1], len(found)))
    return out


def record(trace, capabilities) -> None:
    """Each broken rule as a trace entry of its own (after the scenario's, so a diff shows it as extra)."""
    for b in broken(trace.calls, capabilities):
        trace.add(*b.entry())


def headline(entries: list[tuple[str, Any]]) -> tuple[str, dict[str, str]] | None:
    """(summary line, the finding's `contract`) for the first broken rule of a trace: its kind, name and call, and
    the rule's fixed sentence, so findings group by rule and call (the detail is in the diff)."""
    for label, value in entries:
        for kind, prefix in LABEL.items():
            if label.startswith(prefix + ": ") and isinstance(value, dict):
                name = label[len(prefix) + 2:]
                contract = {"kind": kind, "name": name, "call": str(value.get("call"))}
                return f"{kind} {name} broken by {contract['call']}: {value.get('rule')}"[:200], contract
    return None
