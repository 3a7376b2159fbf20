"""The service part's bad input, said before pytest starts: a workload the app cannot serve (the rates, durations
and model latencies are checked where the options resolve)."""

from __future__ import annotations

from parity.options import Options

DEMO = "parity.workloads.demo:sales_email"


def check(options: Options) -> None:
    """Raises ParityUsageError (one line, exit 2) when the service part would be asked to serve what it cannot;
    nothing to check when its load tool is missing (the part then skips and says how to get it)."""
    from parity.service import loadgen, turns

    if loadgen.missing() is None:
        turns.check_servable(workload(options))


def workload(options: Options) -> str:
    """What the service serves: the run's first --workload, else the demo."""
    return ([w for w in options.workloads if w != "none"] or [DEMO])[0]
