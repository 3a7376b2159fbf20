"""Op windows the machine disturbed: the bare round trip to each server, timed in the same window as the op.

Found measuring repeatability on the 2-vCPU VM (2026-11-26, quiet: no other process, steal 0.0%, no server
event in the window): for a few seconds at a time the bare round trip to both servers rose 30-50% (Postgres
SELECT 1 110 -> 160 us, Redis PING 111 -> 171 us) and every server op with it, each by its own amount (an op of
many short round trips more than one of a few long ones), so that one repeat's Postgres÷Redis ratio moved 13-25%
while the repeats before and after it agreed within 3%. Nothing else the suite reads showed those seconds: the
round trip itself is the gauge. It is timed as one more arm of the op's interleaved rounds, so it sees exactly the
seconds the op saw, and after the cell's last op it is compared with the median round trip of all the cell's
windows (its earlier repeats' too): a median, so that a disturbed stretch moves the reference little.

A window whose round trip is more than TOLERANCE above that median is timed again, up to RETRIES times: the
figure is the op's latency while the machine's round trip was at its usual value. The decision reads the round trip
only, never the op's own timings, so it cannot favour a backend or a verdict. Nothing is dropped: every discarded
window is a `noise` row of kind "retimed" (its round trips, its p50s and ratios), the kept window carries its own
round trips, and a window still disturbed after the retries is kept with `disturbed` saying so.

TOLERANCE is set from the same measurements, one standard run's 54 windows: averaged over the two servers, the
windows' round trips lay at 0.78-1.22x of their cell's median (the op interleaved with the gauge moves it a little),
and the three windows whose ratios had moved at 1.27, 1.35 and 1.49x.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

TOLERANCE = 0.25
RETRIES = 2  # extra attempts for a disturbed window (ops that cannot be repeated on the same data get none)
ARM = "round trip: "  # the gauge arms' names in an op's interleaved rounds; never a backend name


@dataclass(frozen=True)
class Judgement:
    factor: float | None  # the window's round trip over the reference, averaged over the server families
    round_trip_us: dict[str, float]
    reference_us: dict[str, float]

    @property
    def disturbed(self) -> bool:
        return self.factor is not None and self.factor > 1 + TOLERANCE

    def describe(self) -> str:
        pairs = ", ".join(f"{f} {self.round_trip_us[f]:.0f} us against {self.reference_us[f]:.0f}"
                          for f in sorted(self.reference_us))
        return f"bare round trip x{self.factor:.2f} the cell's median ({pairs})"


@dataclass
class RoundTrips:
    """The round trips of every window of a cell (all its repeats and attempts), per server family."""

    seen: dict[str, list[float]] = field(default_factory=dict)

    def keep(self, round_trip_us: dict[str, float]) -> None:
        for family, us in round_trip_us.items():
            self.seen.setdefault(family, []).append(us)

    def judge(self, round_trip_us: dict[str, float]) -> Judgement:
        ref = {f: statistics.median(self.seen[f]) for f in round_trip_us if self.seen.get(f)}
        factors = [round_trip_us[f] / ref[f] for f in ref if ref[f] > 0]
        return Judgement(round(statistics.fmean(factors), 3) if factors else None,
                         {f: round(v, 1) for f, v in round_trip_us.items()}, {f: round(v, 1) for f, v in ref.items()})
