"""The capabilities a backend can declare; tests and benchmarks require these, never a backend name."""

from __future__ import annotations

import enum


class Capability(str, enum.Enum):
    """What a backend promises; one comment per flag says what a scenario may then rely on (Django features.py style)."""

    # The sync saver API works: put / put_writes / get_tuple / list (and delete_thread when DELETE_THREAD).
    SYNC = "sync"
    # The async saver API works: aput / aput_writes / aget_tuple / alist.
    ASYNC = "async"
    # Every checkpoint of a thread is kept, so history and time travel work (shallow savers keep only the latest).
    FULL_HISTORY = "full_history"
    # delete_thread(thread_id) removes a thread's checkpoints and writes.
    DELETE_THREAD = "delete_thread"
    # prune(thread_ids, strategy=...) drops old checkpoints of threads.
    PRUNE = "prune"
    # list(config, filter={...}) keeps only checkpoints whose metadata match.
    LIST_FILTER = "list_filter"
    # list(config, before=cfg) starts below a given checkpoint.
    LIST_BEFORE = "list_before"
    # list(config, limit=n) returns at most n checkpoints, newest first.
    LIST_LIMIT = "list_limit"
    # The saver can expire data on its own after a configured time (SaverContext.options["ttl"]).
    TTL = "ttl"
    # Data outlives the saver object: a new saver (or process) on the same storage resumes a thread.
    DURABLE = "durable"
    # The server's fsync / persistence settings can be chosen, so the durability studies can run on it.
    PERSISTENCE_CONTROL = "persistence_control"
    # The saver works against a multi-node cluster of its server.
    CLUSTER = "cluster"
    # The factory honours SaverContext.options["pool"] (max_size, min_size, timeout, max_connections).
    POOL = "pool"
    # The saver talks to a server process, so latency floors, footprint and faults make sense for it.
    SERVER = "server"


ALL = frozenset(Capability)


def parse(names) -> frozenset[Capability]:
    return frozenset(Capability(n) if not isinstance(n, Capability) else n for n in names)
