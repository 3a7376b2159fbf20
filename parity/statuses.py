"""What a compat cell's status and a server event can be, declared once: the schema's enums and the renderers' lists.

Like the sections (parity/sections.py), every list is read from these tables when it is used: the schema's
`cell_status` and `server_event` enums (parity.results_schema), the order a report shows statuses in, the worst of
a grid square, the compat grid's marks and what JUnit calls each status. A new status is one row of STATUSES (the
plugin that writes it, parity.plugin._status, decides when); a new server event one row of SERVER_EVENTS (the watch
that sees it, parity.servers.watch).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Status:
    """One status a compat cell can end with (results.json `cells[].status`)."""

    name: str
    text: str  # what it means, one line
    symbol: str  # its mark in the compat grid
    rank: int  # worst first: when several cells share a grid square, the lowest rank is shown
    junit: str  # what JUnit calls it: "failure", "error", "skipped" or "passed"


# In the order reports list them (the overview's chips, the console's count, the grid's legend).
STATUSES: tuple[Status, ...] = (
    Status("passed", "ran and matched the reference", "✓", 4, "passed"),
    Status("diverged", "ran and differed from the reference: a finding", "≠", 2, "failure"),
    Status("known-divergence", "differed as a divergence declared in known_divergences.toml (an xfail)", "≈", 3,
           "skipped"),
    Status("failed", "the test failed in its call for another reason (an assertion, the cell's time limit)", "✗", 1, "failure"),
    Status("error", "no evidence: its setup or teardown failed, or a server event spoiled it (parity/spoiled.py)", "!", 0,
           "error"),
    Status("skipped", "a plain pytest skip: not run, and no declared reason", "–", 5, "skipped"),
    Status("not-applicable", "not run: the saver, platform or server lacks what it needs (the reasons say which)", "–",
           6, "skipped"),
)


@dataclass(frozen=True)
class ServerEvent:
    """What can happen to one of the run's own servers while it runs (results.json `server_events[].event`)."""

    name: str
    text: str  # when parity.servers.watch says so, one line


SERVER_EVENTS: tuple[ServerEvent, ...] = (
    ServerEvent("died", "a call failed and its process has exited or its container is gone"),
    ServerEvent("restarted", "it answered with another identity (Redis run_id, Postgres postmaster start time)"),
    ServerEvent("stopped answering", "a call failed while its process lived, or stayed unanswered for STALL_S"),
)


def declared() -> tuple[Status, ...]:
    return STATUSES


def names() -> tuple[str, ...]:
    """Every status, in the order reports list them."""
    return tuple(s.name for s in STATUSES)


def worst_first() -> tuple[str, ...]:
    return tuple(s.name for s in sorted(STATUSES, key=lambda s: s.rank))


def symbols() -> dict[str, str]:
    return {s.name: s.symbol for s in STATUSES}


def junit_kind(name: str) -> str:
    """"failure", "error", "skipped" or "passed" (an unknown status: "passed", as JUnit shows a test that ran)."""
    return next((s.junit for s in STATUSES if s.name == name), "passed")


def failing() -> tuple[str, ...]:
    """The statuses JUnit shows as a failure or an error."""
    return tuple(s.name for s in STATUSES if s.junit in ("failure", "error"))


def skipped() -> tuple[str, ...]:
    """The statuses JUnit shows as skipped: the cell reached no verdict of its own."""
    return tuple(s.name for s in STATUSES if s.junit == "skipped")


def server_events() -> tuple[str, ...]:
    return tuple(e.name for e in SERVER_EVENTS)
