"""The capabilities a backend can declare; tests and benchmarks require these, never a backend name."""

from __future__ import annotations

import enum


class Capability(str, enum.Enum):
    SYNC = "sync"  # sync saver API: put / get_tuple / list / put_writes
    ASYNC = "async"  # async saver API: aput / aget_tuple / alist / aput_writes
    FULL_HISTORY = "full_history"  # keeps every checkpoint of a thread (shallow savers keep only the latest)
    DELETE_THREAD = "delete_thread"
    PRUNE = "prune"
    LIST_FILTER = "list_filter"  # list(filter={metadata...})
    LIST_BEFORE = "list_before"
    LIST_LIMIT = "list_limit"
    TTL = "ttl"  # the saver can expire data on its own
    DURABLE = "durable"  # data survives the saver object (a new process can resume a thread)
    PERSISTENCE_CONTROL = "persistence_control"  # the server's fsync/persistence is configurable
    CLUSTER = "cluster"
    POOL = "pool"  # the factory honours SaverContext.options["pool"] (max_size, min_size, timeout, max_connections)
    SERVER = "server"  # talks to a server process (latency floors, footprint, faults make sense)


ALL = frozenset(Capability)


def parse(names) -> frozenset[Capability]:
    return frozenset(Capability(n) if not isinstance(n, Capability) else n for n in names)
