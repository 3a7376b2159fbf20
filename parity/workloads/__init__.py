"""Workloads: a team's own graph and step script, judged on every backend like the built-in scenarios."""

from parity.workloads.contract import (Step, Workload, continue_run, get_state, history, invoke, load, resume, time_travel,
                                       update)

__all__ = ["Step", "Workload", "continue_run", "get_state", "history", "invoke", "load", "resume", "time_travel", "update"]
