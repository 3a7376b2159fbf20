"""What a shadow recording holds: latency histograms, size-capped or hashed payloads, size-rotated JSON lines."""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import Counter
from pathlib import Path
from typing import Any


class Histogram:
    """Latencies in log2 buckets of microseconds (bucket k holds [2**(k-1), 2**k) µs): counts, not every sample."""

    def __init__(self) -> None:
        self.buckets: dict[int, int] = {}
        self.count = 0
        self.total = 0.0

    def record(self, seconds: float) -> None:
        us = seconds * 1e6
        k = 0 if us < 1 else int(math.floor(math.log2(us))) + 1
        self.buckets[k] = self.buckets.get(k, 0) + 1
        self.count += 1
        self.total += seconds

    def quantile(self, q: float) -> float | None:
        """Upper edge (seconds) of the bucket holding quantile q: an over-estimate by at most 2x, said in to_dict."""
        if not self.count:
            return None
        need, seen = q * self.count, 0
        for k in sorted(self.buckets):
            seen += self.buckets[k]
            if seen >= need:
                return (2 ** k) / 1e6
        return (2 ** max(self.buckets)) / 1e6

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "mean_s": self.total / self.count if self.count else None,
                "p50_s_upper": self.quantile(0.5), "p99_s_upper": self.quantile(0.99),
                "buckets_log2_us": {str(k): n for k, n in sorted(self.buckets.items())}}


    def merge(self, d: dict[str, Any]) -> None:
        """Add another histogram's to_dict() (the other process of a process-isolated shadow, or a recording)."""
        for k, n in d.get("buckets_log2_us", {}).items():
            self.buckets[int(k)] = self.buckets.get(int(k), 0) + n
        self.count += d.get("count", 0)
        self.total += (d.get("mean_s") or 0) * d.get("count", 0)


KEPT_IN_MEMORY = 1000  # divergences a Tally keeps for tests and summaries; the JSON lines keep them all


class Tally:
    """What one side of a shadow counts: counters, unreliable threads, latency histograms, divergences. Touched by
    app threads and the worker, hence the lock; a process-isolated shadow has one per process, merged at the end."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: Counter = Counter()
        self.unreliable: set[str] = set()
        self.latency: dict[str, Histogram] = {}
        self.divergences: list[dict[str, Any]] = []

    def record(self, side: str, op: str, seconds: float) -> None:
        with self.lock:
            self.latency.setdefault(f"{side}.{op}", Histogram()).record(seconds)

    def count(self, key: str, thread: str | None = None) -> None:
        with self.lock:
            self.counts[key] += 1
            if thread is not None and key.startswith("dropped"):
                self.unreliable.add(thread)

    def is_unreliable(self, thread: str | None) -> bool:
        with self.lock:
            return thread in self.unreliable

    def keep(self, divergence: dict[str, Any]) -> None:
        with self.lock:
            if len(self.divergences) < KEPT_IN_MEMORY:
                self.divergences.append(divergence)

    def to_dict(self) -> dict[str, Any]:
        with self.lock:
            return {"counts": dict(sorted(self.counts.items())), "unreliable_threads": sorted(self.unreliable),
                    "latency": {k: h.to_dict() for k, h in sorted(self.latency.items())},
                    "divergences": list(self.divergences)}

    def merged(self, other: dict[str, Any]) -> dict[str, Any]:
        """This tally plus another's to_dict(), as a to_dict()."""
        mine = self.to_dict()
        counts = Counter(mine["counts"])
        counts.update(other.get("counts", {}))
        latency = {}
        for key in sorted(set(mine["latency"]) | set(other.get("latency", {}))):
            h = Histogram()
            for part in (mine["latency"].get(key), other.get("latency", {}).get(key)):
                if part:
                    h.merge(part)
            latency[key] = h.to_dict()
        return {"counts": dict(sorted(counts.items())),
                "unreliable_threads": sorted(set(mine["unreliable_threads"]) | set(other.get("unreliable_threads", []))),
                "latency": latency,
                "divergences": (mine["divergences"] + list(other.get("divergences", [])))[:KEPT_IN_MEMORY]}


def payload(value: Any, cap: int, hash_values: bool) -> dict[str, Any]:
    """A normalised value for a divergence record: its JSON cut to cap characters, or only its sha256 (privacy)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr)
    digest = hashlib.sha256(text.encode()).hexdigest()
    if hash_values:
        return {"sha256": digest, "chars": len(text)}
    return {"sha256": digest, "chars": len(text), "json": text[:cap], "truncated": len(text) > cap}


class RotatingJsonl:
    """Appends one JSON object per line to DIR/shadow-NNNN.jsonl, starting the next file once max_bytes is reached."""

    def __init__(self, directory: str | Path, max_bytes: int = 10_000_000) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self.lock = threading.Lock()  # the worker writes divergences, close() writes the summary
        existing = sorted(self.dir.glob("shadow-*.jsonl"))
        self.index = int(existing[-1].stem.split("-")[1]) + 1 if existing else 1  # never append to an old recording

    @property
    def path(self) -> Path:
        return self.dir / f"shadow-{self.index:04d}.jsonl"

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, sort_keys=True, ensure_ascii=False, default=repr) + "\n"
        with self.lock:
            if self.path.exists() and self.path.stat().st_size + len(line.encode()) > self.max_bytes:
                self.index += 1
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line)
