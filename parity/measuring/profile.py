"""Benchmark profiles: sample counts and sweep sizes for quick / standard / full, in one flat table."""

from __future__ import annotations

from dataclasses import dataclass

from parity.measuring.timing import Plan


@dataclass(frozen=True)
class Profile:
    name: str
    plan: Plan  # the latency runs
    history: int  # checkpoints in the thread that reads hit
    pairing_plan: Plan  # strict / relaxed durability cells
    growth_plan: Plan
    history_sizes: tuple = (10, 100, 1000)
    thread_counts: tuple = (100, 1000, 10000)
    state_sizes: tuple = ("1KB", "100KB", "1MB")
    concurrency: tuple = (1, 4, 16, 64)
    concurrency_calls: int = 400  # calls per concurrency level and pool arm
    network_delays_ms: tuple = (0.0, 0.25, 1.0)
    network_plan: Plan = Plan(5, 10, 5)
    benchmark_rounds: int = 50  # pytest-benchmark pedantic rounds per op
    repeats: int = 3  # the headline ops measured this many times in one run: the run's own repeat figure
    # How far a headline ratio may move between repeats and between runs of one commit (issue 18's targets).
    repeat_target: float = 0.05
    workers: int = 3  # fresh processes timing the headline ops again: process-to-process variance (pyperf's way)


PROFILES = {
    "quick": Profile("quick", Plan(10, 10, 10), 20, Plan(8, 10, 5), Plan(4, 10, 5),
                     history_sizes=(10, 100), thread_counts=(100, 1000), state_sizes=("1KB", "100KB", "1MB"),
                     concurrency=(1, 4, 16, 64), concurrency_calls=200, network_plan=Plan(3, 10, 5),
                     benchmark_rounds=20, repeats=2, repeat_target=0.10, workers=2),
    "standard": Profile("standard", Plan(25, 10, 20), 50, Plan(15, 10, 10), Plan(8, 10, 5),
                        history_sizes=(10, 100, 1000), thread_counts=(100, 1000, 10000)),
    "full": Profile("full", Plan(60, 10, 30), 100, Plan(40, 10, 20), Plan(20, 10, 10),
                    concurrency_calls=1000, network_plan=Plan(10, 10, 10), benchmark_rounds=200),
}


def get(name: str) -> Profile:
    return PROFILES.get(name, PROFILES["standard"])
