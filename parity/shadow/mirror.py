"""The candidate side of a shadow: apply mirrored writes, repeat sampled reads, judge them, record divergences.

One Mirror runs where the candidate lives: on ShadowSaver's worker thread (isolation="thread") or in its sidecar
process (isolation="process", parity/shadow/sidecar.py). Items arrive in the app's call order.
"""

from __future__ import annotations

import os
import pickle
import re
import time
from typing import Any

from parity.judging.differences import hunks
from parity.judging.findings import Finding, applies, load_known, match_known
from parity.judging.observe import tuple_view
from parity.judging.trace import Trace, diff, first_difference
from parity.shadow.record import RotatingJsonl, Tally, payload


def trace(op: str, result) -> Trace:
    """A read's result as the judge sees it (the suite's normaliser)."""
    t = Trace()
    if op == "get_tuple":
        t.add(op, tuple_view(result, links=True))
    else:
        t.add(op, [tuple_view(item, links=True) for item in result])
    return t


class Served(bytes):
    """A read's result as the primary served it, pickled on the request path (ShadowSaver, isolation="thread")."""


# The candidate side's nap when it has nothing to do (worker thread) or between bursts of work (sidecar): items
# gather instead of waking it one by one. It bounds how late a mirrored write reaches the candidate.
BATCH_S = float(os.environ.get("PARITY_SHADOW_BATCH_S", "0.02"))
MAX_SPLIT_CHARS = 20_000  # a list() read (as JSON) longer than this is not split to look for a waiver


class Mirror:
    def __init__(self, candidate: Any, tally: Tally, out: RotatingJsonl | None, *, payload_cap: int,
                 hash_values: bool) -> None:
        from parity.backends.builtin import backend_of

        self.candidate, self.tally, self.out = candidate, tally, out
        self.payload_cap, self.hash_values = payload_cap, hash_values
        # A built-in saver as candidate: the reviewed known divergences of its backend label what they explain
        # (the compat matrix's waivers, parity/known_divergences.toml), so a team sees new differences apart from
        # known upstream ones. Labelled, never dropped: each is still recorded and counted.
        self.backend = backend_of(candidate)
        self.known = load_known() if self.backend else []

    def handle(self, item: tuple) -> None:
        """("write", op, thread, args, _) or ("read", op, thread, (config, kw), expected): expected is the primary's
        result pickled on the request path (Served), already a Trace (it could not be pickled), or, from a sidecar,
        the result itself (unpickled there)."""
        kind, op, thread, args, expected = item
        if kind == "write":
            self.apply(op, thread, args)
            return
        try:
            if isinstance(expected, Served):
                expected = pickle.loads(expected)
            expected = expected if isinstance(expected, Trace) else trace(op, expected)
        except Exception as err:  # noqa: BLE001 - a result the judge cannot view is not compared, and counted
            return self.tally.count(f"reads_not_compared_unviewable.{type(err).__name__}")
        self.compare(op, thread, args, expected)

    def apply(self, op: str, thread: str | None, args: tuple) -> None:
        start = time.perf_counter()
        try:
            getattr(self.candidate, op)(*args)
            self.tally.count("mirrored_applied")
        except Exception as err:  # noqa: BLE001 - a failing candidate is counted, never raised to the app
            self.tally.count("dropped_candidate_error", thread)
            self.tally.count(f"candidate_error.{op}.{type(err).__name__}")
        finally:
            self.tally.record("candidate", op, time.perf_counter() - start)

    def compare(self, op: str, thread: str, args: tuple, expected: Trace) -> None:
        if self.tally.is_unreliable(thread):
            return self.tally.count("reads_skipped_unreliable")
        config, kw = args
        start = time.perf_counter()
        try:
            got = self.candidate.get_tuple(config) if op == "get_tuple" else list(self.candidate.list(config, **kw))
        except Exception as err:  # noqa: BLE001 - the candidate failing a read is counted, not a divergence
            self.tally.count(f"candidate_error.{op}.{type(err).__name__}")
            return self.tally.count("reads_not_compared_candidate_error")
        finally:
            self.tally.record("candidate", op, time.perf_counter() - start)
        actual = trace(op, got)
        text = diff(expected, actual)
        self.tally.count("reads_compared")
        if text is not None:
            self.divergence(thread, op, config, kw, text, expected, actual)

    def explained(self, op: str, text: str, expected: Trace, actual: Trace, size: int = 0) -> dict[str, Any] | None:
        """The known-divergence entry that explains every difference of this read, as in the compat matrix."""
        finding = Finding(self.backend, "sync", None, "shadow", "", "", text)
        # Splitting a diff into its differences (hunks) pairs list elements by similarity, which is quadratic: on a
        # list() of long conversations it held the worker for over 10 s. Split only when an entry for this backend
        # matches somewhere in the diff (else none can explain all of it), and not a list() whose checkpoints are
        # large (left unlabelled: never waived on a guess). One get_tuple's pieces are few.
        entries = [e for e in self.known if applies(e, finding) and re.search(e["diff_pattern"], text, re.MULTILINE)]
        if not entries or (op == "list" and size > MAX_SPLIT_CHARS):
            return None
        return match_known(finding, entries, [hunks(expected, actual)])

    def divergence(self, thread, op, config, kw, text, expected: Trace, actual: Trace) -> None:
        cap, hashed = self.payload_cap, self.hash_values
        primary, candidate = payload(expected.to_dict(), cap, hashed), payload(actual.to_dict(), cap, hashed)
        record = {"kind": "divergence", "thread": thread, "op": op, "at": time.time(),
                  "first_difference": None if hashed else first_difference(text),
                  "diff": None if hashed else text[:cap], "primary": primary, "candidate": candidate,
                  "args": payload({"config": config, **kw}, cap, hashed), "candidate_backend": self.backend,
                  "known": self.explained(op, text, expected, actual, max(primary["chars"], candidate["chars"]))}
        self.tally.count("divergences")
        if record["known"]:
            self.tally.count("divergences_known")
        self.tally.keep(record)
        if self.out is not None:
            self.out.write(record)
