"""Roles, not names: the reference every run is judged against and the (incumbent, candidate) pairs (`--pair`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from parity.errors import ParityUsageError

# The built-in defaults, and the only place outside parity/families/ that names a backend: the reference every
# scenario is judged against, and the guide's migration (its full savers first: the pair its claims are about,
# then the shallow savers, reported beside it). A run with --pair judges its own pairs instead.
REFERENCE = "memory"
DEFAULT_PAIRS = (("postgres", "redis"), ("postgres-shallow", "redis-shallow"))


@dataclass(frozen=True)
class Pair:
    """One migration: from the incumbent backend to the candidate. Ratios are incumbent ÷ candidate."""

    incumbent: str
    candidate: str

    @property
    def label(self) -> str:
        """"postgres -> redis", as claims and reports say which pair they judged."""
        return f"{self.incumbent} -> {self.candidate}"

    @property
    def spec(self) -> str:
        """"postgres:redis", as --pair is written."""
        return f"{self.incumbent}:{self.candidate}"

    def to_dict(self) -> dict[str, str]:
        return {"incumbent": self.incumbent, "candidate": self.candidate}


DEFAULT = tuple(Pair(a, b) for a, b in DEFAULT_PAIRS)
FIX = "write it as --pair INCUMBENT:CANDIDATE with two registered backends, e.g. --pair postgres:redis"


def parse(spec: str) -> Pair:
    """"A:B" -> Pair(A, B); anything else is bad input."""
    incumbent, sep, candidate = str(spec).strip().partition(":")
    incumbent, candidate = incumbent.strip(), candidate.strip()
    if not sep or not incumbent or not candidate or ":" in candidate:
        raise ParityUsageError(f"--pair {spec!r} is not INCUMBENT:CANDIDATE", FIX)
    if incumbent == candidate:
        raise ParityUsageError(f"--pair {spec!r} compares {incumbent} with itself", FIX)
    return Pair(incumbent, candidate)


def option(values: list[str] | None, given: dict[str, Any]) -> list[Pair]:
    """--pair's one validation: each value a pair of registered backends (the built-ins, --parity-saver, entry
    points), both among --backend when that is given; none given: the defaults."""
    specs = [v.strip() for value in values or [] for v in str(value).split(",") if v.strip()]
    if not specs:
        return list(DEFAULT)
    from parity.backends.registry import registry_with

    names = registry_with(list(given.get("savers") or [])).names()
    chosen = {v.strip() for value in given.get("backends") or [] for v in str(value).split(",") if v.strip()}
    out: list[Pair] = []
    for spec in specs:
        pair = parse(spec)
        for name in (pair.incumbent, pair.candidate):
            if name not in names:
                raise ParityUsageError(f"--pair {spec}: unknown backend {name!r}",
                                       f"choose from {', '.join(names)} or add one with --parity-saver")
            if chosen and name not in chosen:
                raise ParityUsageError(f"--pair {spec}: {name} is not among --backend {','.join(sorted(chosen))}",
                                       f"add --backend {name}, or pair backends the run tests")
        if pair not in out:
            out.append(pair)
    return out


def of(doc: dict[str, Any]) -> list[Pair]:
    """The pairs a document judged (run.pairs); a document from before --pair judged the defaults."""
    recorded = (doc.get("run") or {}).get("pairs")
    if not isinstance(recorded, list) or not recorded:
        return list(DEFAULT)
    return [Pair(str(p["incumbent"]), str(p["candidate"])) for p in recorded
            if isinstance(p, dict) and p.get("incumbent") and p.get("candidate")] or list(DEFAULT)


def incumbents(pairs: Iterable[Pair]) -> list[str]:
    return list(dict.fromkeys(p.incumbent for p in pairs))


def candidates(pairs: Iterable[Pair]) -> list[str]:
    return list(dict.fromkeys(p.candidate for p in pairs))


def members(pairs: Iterable[Pair]) -> list[str]:
    """Every backend a pair names, incumbents first."""
    pairs = list(pairs)
    return list(dict.fromkeys(incumbents(pairs) + candidates(pairs)))


def role_of(pairs: Iterable[Pair], backend: str) -> set[str]:
    """{"incumbent"}, {"candidate"}, both, or empty: what `backend` plays in these pairs."""
    out = set()
    for p in pairs:
        if backend == p.incumbent:
            out.add("incumbent")
        if backend == p.candidate:
            out.add("candidate")
    return out


def family_of(doc: dict[str, Any], backend: str) -> str | None:
    """A backend's server family as the document records it (run.backends, else any row naming both); a document
    from before run.backends that never ran the backend: the built-in registry's."""
    for b in (doc.get("run") or {}).get("backends") or []:
        if isinstance(b, dict) and b.get("name") == backend:
            return b.get("family")
    for section in ("measurements", "footprint", "growth", "cells"):
        for row in doc.get(section) or []:
            if isinstance(row, dict) and row.get("backend") == backend and row.get("family"):
                return row["family"]
    from parity.backends.registry import default_registry

    try:
        return default_registry().get(backend).family
    except ParityUsageError:
        return None


def said(pairs: Iterable[Pair]) -> str:
    """"postgres -> redis, postgres-shallow -> redis-shallow": the pairs a claim judged, for its reason."""
    return ", ".join(p.label for p in pairs)


def ratio_said(pairs: Iterable[Pair]) -> str:
    """"postgres÷redis, postgres-shallow÷redis-shallow": the ratios of these pairs."""
    return ", ".join(f"{p.incumbent}÷{p.candidate}" for p in pairs)


def judged(row: dict[str, Any], pairs: Iterable[Pair]) -> dict[str, Any]:
    """A claim row that says which pairs it judged (claims[].pairs: "incumbent -> candidate" each)."""
    row["pairs"] = [p.label for p in pairs]
    return row


def ratio_words(pairs: Iterable[Pair]) -> tuple[str, str]:
    """("postgres", "redis"): how a ratio's two sides are named in titles; several pairs: each side's names."""
    pairs = list(pairs) or list(DEFAULT)
    return "/".join(incumbents(pairs)), "/".join(candidates(pairs))


def first_selected(session) -> Pair | None:
    """The first of the session's pairs whose two backends the run selected: the pair a two-backend study (the
    shadow's primary and candidate, its demo, a migration) runs on. None: no pair is selected."""
    selected = {b.name for b in getattr(session, "backends", ())}
    return next((p for p in getattr(session, "pairs", None) or DEFAULT
                 if p.incumbent in selected and p.candidate in selected), None)


def judged_line(doc: dict[str, Any]) -> str:
    """What the claims table says above its rows: the pairs its verdicts judged (the guide's claims name Postgres
    and Redis; a run of another pair reads them with its incumbent and candidate in those places)."""
    pairs = of(doc)
    default = pairs == list(DEFAULT)
    return ("Pairs judged (incumbent → candidate): " + ", ".join(f"{p.incumbent} → {p.candidate}" for p in pairs)
            + ("" if default else "; where a claim says Postgres read the incumbent, where it says Redis the candidate"))
