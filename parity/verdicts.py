"""Rules that turn confidence intervals and findings into verdicts on the migration guide's claims."""

from __future__ import annotations

from dataclasses import dataclass

# The verdict names, best first; every part, renderer and the gate use these (display order too).
VERDICTS = ("confirmed", "partly", "refuted", "not-testable-here")


@dataclass(frozen=True)
class Band:
    """A numeric range the guide states, and what it bounds."""

    low: float
    high: float
    unit: str  # "x": an incumbent÷candidate speed-up ratio (Postgres÷Redis by default); "ms": a latency
    bounds: tuple[str, ...]  # ratio ops ("get_tuple*" globs) for "x"; roles (parity.roles) for "ms"

    def to_dict(self) -> dict:
        return {"low": self.low, "high": self.high, "unit": self.unit, "bounds": list(self.bounds)}


@dataclass(frozen=True)
class Claim:
    """One claim of the migration guide: its id, its words, the short title reports show, its bands, and the part of
    the suite whose cells are its evidence (an errored cell of that part leaves it without a verdict)."""

    id: str
    text: str
    title: str
    bands: tuple[Band, ...] = ()
    part: str = ""  # compat, bench or faults (parity/sections.py names the parts)


# The migration guide's claims: the one table of ids, words, report titles, bands (section 7.1 for C1-C3) and parts.
# Reports, the results document, its schema, the gate and the incomplete-run rules read it through claim_ids(),
# claim_of() and part_claims(), at the time they run: adding a claim is one row here (and its verdict from the part
# that measures it).
CLAIM_TABLE = (
    Claim("C1", "Writes are 10–100x faster on Redis", "Writes 10–100x faster on Redis",
          (Band(10.0, 100.0, "x", ("put", "put_writes")),), part="bench"),
    Claim("C2", "Reads are 5–50x faster on Redis", "Reads 5–50x faster on Redis",
          (Band(5.0, 50.0, "x", ("get_tuple*", "list")),), part="bench"),
    Claim("C3", "Redis latency usually < 1 ms, Postgres 1–10 ms", "Redis < 1 ms, Postgres 1–10 ms",
          (Band(0.0, 1.0, "ms", ("candidate",)), Band(1.0, 10.0, "ms", ("incumbent",))), part="bench"),
    Claim("C4", "redis.asyncio works under Proactor and Selector loops, async psycopg needs Selector on Windows",
          "redis.asyncio works under Proactor; psycopg needs Selector", part="compat"),
    Claim("C5", "Event-loop policy code can be removed after migrating", "Event-loop policy code can be removed",
          part="compat"),
    Claim("C6", "Redis avoids connection-pool timeout problems, no pool tuning needed",
          "No pool timeouts / tuning on Redis", part="bench"),
    Claim("C7", "Redis checkpointer needs RedisJSON and RediSearch", "Needs RedisJSON + RediSearch (Redis 8+)",
          part="faults"),
    Claim("C8", "Redis TTL cleans up old checkpoint data automatically", "TTL cleans up old checkpoints",
          part="faults"),
    Claim("C9", "Redis keeps all data in memory, running out gives OOM command not allowed",
          "All data in memory; OOM is a clear error", part="faults"),
    Claim("C10", "Redis persistence must be configured or data is lost", "Persistence (RDB/AOF) must be configured",
          part="faults"),
    Claim("C11", "Redis uses less CPU, more memory, possibly more network traffic", "Less CPU, more memory and network",
          part="bench"),
    Claim("C12", "Save/restore, full runs and resume behave the same after migration", "Same behaviour after migration",
          part="compat"),
    Claim("C13", "Redis holds up under high concurrency", "Holds up under high concurrency", part="bench"),
    Claim("C14", "Rollback is just reinstalling the Postgres saver", "Rollback = reinstall the Postgres saver",
          part="faults"),
    Claim("C15", "Redis naturally supports distributed deployment", "Naturally supports distributed deployment",
          part="faults"),
)


def claim_ids() -> tuple[str, ...]:
    """The declared claims' ids, in the table's order."""
    return tuple(c.id for c in CLAIM_TABLE)


def claim_of(claim_id: str) -> Claim | None:
    """A declared claim by id (None: an id the table does not declare)."""
    return next((c for c in CLAIM_TABLE if c.id == claim_id), None)


def part_claims() -> dict[str, tuple[str, ...]]:
    """{part: the claims its cells are evidence for}, e.g. {"compat": ("C4", "C5", "C12"), ...}."""
    out: dict[str, tuple[str, ...]] = {}
    for c in CLAIM_TABLE:
        out[c.part] = out.get(c.part, ()) + (c.id,)
    return out


def claims_text() -> dict[str, str]:
    """id -> the guide's words."""
    return {c.id: c.text for c in CLAIM_TABLE}


def band(claim_id: str, bounds: str | None = None) -> tuple[float, float]:
    """(low, high) of a claim's band; `bounds` picks one of several (C3: "candidate" or "incumbent")."""
    found = [b for b in claim_of(claim_id).bands if bounds is None or bounds in b.bounds]
    return found[0].low, found[0].high


def band_verdict(low: float, high: float, band_low: float, band_high: float, margin: float = 0.0) -> str:
    """confirmed if CI [low, high] lies inside the band (edges inclusive), refuted if wholly outside, partly else.

    `margin` (relative) is how far the run says its figures move between runs of the same code: a CI closer than
    that to an edge is "partly" (near_edge names the edge), so the next run's noise can move the verdict to or from
    partly but never turn confirmed into refuted or back.
    """
    if low > high:
        raise ValueError(f"CI must have low <= high, got [{low}, {high}]")
    if band_low > band_high:
        raise ValueError(f"band must have low <= high, got [{band_low}, {band_high}]")
    room = 1.0 + max(margin, 0.0)
    if band_low * room <= low and high * room <= band_high:
        return "confirmed"
    if high * room < band_low or low > band_high * room:
        return "refuted"
    return "partly"


def near_edge(low: float, high: float, band_low: float, band_high: float, margin: float) -> float | None:
    """The band edge a CI lies within `margin` of without crossing it (the one a "partly" owes to the margin)."""
    room = 1.0 + max(margin, 0.0)
    for edge in (band_low, band_high):
        crosses = low < edge < high
        if not crosses and edge > 0 and (edge / room <= low <= edge * room or edge / room <= high <= edge * room):
            return edge
    return None


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


def described(row: dict) -> dict:
    """A claim row with its title and bands from the table, so renderers read them from the document."""
    known = claim_of(row["id"])
    if known is None:
        return row
    return {**row, "title": known.title, "bands": [b.to_dict() for b in known.bands]}
