"""Rules that turn confidence intervals and findings into verdicts on the migration guide's claims."""

from __future__ import annotations

VERDICTS = ("confirmed", "refuted", "partly", "not-testable-here")

# The migration guide's claims, by id; reports and the results document refer to them by id.
CLAIMS = {
    "C1": "Writes are 10–100x faster on Redis",
    "C2": "Reads are 5–50x faster on Redis",
    "C3": "Redis latency usually < 1 ms, Postgres 1–10 ms",
    "C4": "redis.asyncio works under Proactor and Selector loops, async psycopg needs Selector on Windows",
    "C5": "Event-loop policy code can be removed after migrating",
    "C6": "Redis avoids connection-pool timeout problems, no pool tuning needed",
    "C7": "Redis checkpointer needs RedisJSON and RediSearch",
    "C8": "Redis TTL cleans up old checkpoint data automatically",
    "C9": "Redis keeps all data in memory, running out gives OOM command not allowed",
    "C10": "Redis persistence must be configured or data is lost",
    "C11": "Redis uses less CPU, more memory, possibly more network traffic",
    "C12": "Save/restore, full runs and resume behave the same after migration",
    "C13": "Redis holds up under high concurrency",
    "C14": "Rollback is just reinstalling the Postgres saver",
    "C15": "Redis naturally supports distributed deployment",
}

# Numeric bands the guide states: speedup ratios (Postgres/Redis) for C1, C2; latencies in ms for C3.
BANDS = {
    "C1": (10.0, 100.0),
    "C2": (5.0, 50.0),
    "C3.redis_ms": (0.0, 1.0),
    "C3.postgres_ms": (1.0, 10.0),
}


def band_verdict(low: float, high: float, band_low: float, band_high: float) -> str:
    """confirmed if CI [low, high] lies inside the band (edges inclusive), refuted if wholly outside."""
    if low > high:
        raise ValueError(f"CI must have low <= high, got [{low}, {high}]")
    if band_low > band_high:
        raise ValueError(f"band must have low <= high, got [{band_low}, {band_high}]")
    if band_low <= low and high <= band_high:
        return "confirmed"
    if high < band_low or low > band_high:
        return "refuted"
    return "partly"


def _check_verdict(verdict: str) -> None:
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")


def combine(verdicts: list[str]) -> str:
    """One verdict from several: unanimous confirmed/refuted stays, any mix is partly.

    not-testable-here entries are ignored when other verdicts exist; with nothing else left
    (or an empty list) the result is not-testable-here.
    """
    for verdict in verdicts:
        _check_verdict(verdict)
    tested = {v for v in verdicts if v != "not-testable-here"}
    if not tested:
        return "not-testable-here"
    if len(tested) == 1 and tested <= {"confirmed", "refuted"}:
        return tested.pop()
    return "partly"


def claim(id: str, verdict: str, reason: str, evidence: list | None = None) -> dict:
    """A claim row for the results document: {"id", "verdict", "reason", "evidence"}."""
    _check_verdict(verdict)
    if "\n" in reason or "\r" in reason:
        raise ValueError(f"reason must be one line, got {reason!r}")
    return {"id": id, "verdict": verdict, "reason": reason, "evidence": list(evidence or [])}
