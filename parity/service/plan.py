"""What the service part runs: rates, durations and model latencies per profile, pool arms, pairs, the p99 bound."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from parity.errors import ParityUsageError


@dataclass(frozen=True)
class ServicePlan:
    rates: tuple[float, ...]  # offered requests per second, each a fixed arrival rate
    duration_s: float  # per rate and backend
    model_ms: tuple[int, ...]  # the fake model call of each turn (one app per backend, arm and model latency)
    warmup_turns: int = 20  # sequential turns before the first rate: imports, connections, the graph's first compile


# quick stays under 3 minutes on 2 cores (2 backends x 2 pool arms x 3 rates x 4 s, plus 4 app starts);
# standard and full add the no-model and the slow-model cases.
PLANS = {
    "quick": ServicePlan(rates=(5.0, 15.0, 30.0), duration_s=4.0, model_ms=(50,), warmup_turns=5),
    "standard": ServicePlan(rates=(5.0, 15.0, 30.0, 60.0), duration_s=10.0, model_ms=(0, 50)),
    "full": ServicePlan(rates=(5.0, 15.0, 30.0, 60.0, 120.0), duration_s=20.0, model_ms=(0, 50, 500)),
}


def p99_bound_ms(model_ms: int) -> float:
    """The stated bound of "sustained": p99 within the model's own time plus 500 ms, a delay a user notices."""
    return model_ms + 500.0


# Pool arms (claim C6): "default" is what the backend's factory opens (AsyncPostgresSaver: one connection; Redis: the
# client's unbounded pool); "sized" asks the factory for a pool sized to the load through SaverContext.options.
ARMS = ("default", "sized")


# A request waiting this long for a connection of the sized pool fails with the pool's own timeout error, before
# k6's request timeout (loadgen.REQUEST_TIMEOUT_S, 10 s) would hide it as a plain timeout: C6 is about that error.
POOL_TIMEOUT_S = 5.0


def pool_for(arm: str, plan: ServicePlan, model_ms: int) -> dict[str, Any] | None:
    """The sized arm: Little's law at the highest rate (requests in flight = rate x time per request, the model's
    time plus 100 ms), at least 4 and at most 64 connections (Postgres's default max_connections is 100)."""
    if arm == "default":
        return None
    size = max(4, min(64, math.ceil(max(plan.rates) * (model_ms + 100) / 1000)))
    return {"max_size": size, "min_size": min(size, 4), "timeout": POOL_TIMEOUT_S, "max_connections": size}


def pairs(asked: list | None = None) -> list[tuple[str, str]]:
    """(incumbent, candidate) backends the service compares: every --pair given (parity.roles). With the default
    pairs, only the first (the guide's full savers): the shallow pair would double the part's time for a figure
    the app-level question does not need."""
    from parity import roles

    asked = list(asked or roles.DEFAULT)
    if asked == list(roles.DEFAULT):
        asked = asked[:1]
    return [(p.incumbent, p.candidate) for p in asked]


def resolve(profile: str, rates: list[float] | None, duration_s: float | None,
            model_ms: list[int] | None) -> ServicePlan:
    """The profile's plan with the options given; a rate or duration that is not a positive number is bad input."""
    plan = PLANS.get(profile, PLANS["standard"])
    for rate in rates or []:
        if not (rate > 0 and math.isfinite(rate)):
            raise ParityUsageError(f"--service-rate {rate:g}: a request rate must be a positive number",
                                   "give requests per second > 0, e.g. --service-rate 5,20,50")
    if duration_s is not None and not (duration_s > 0 and math.isfinite(duration_s)):
        raise ParityUsageError(f"--service-duration {duration_s:g}: a duration must be a positive number of seconds",
                               "give seconds > 0, e.g. --service-duration 10")
    for ms in model_ms or []:
        if not (ms >= 0):
            raise ParityUsageError(f"--service-model-ms {ms}: a model latency cannot be negative",
                                   "give milliseconds >= 0, e.g. --service-model-ms 0,50,500")
    return replace(plan, rates=tuple(sorted(set(rates))) if rates else plan.rates,
                   duration_s=duration_s if duration_s is not None else plan.duration_s,
                   model_ms=tuple(sorted(set(model_ms))) if model_ms else plan.model_ms)


# ---- the options' one validation (parity/options.py declares them) ---------------------------------------------

def _numbers(values: list[str] | None, flag: str, cast, fix: str) -> list:
    out = []
    for raw in (v.strip() for value in values or [] for v in str(value).split(",")):
        if not raw:
            continue
        try:
            out.append(cast(raw))
        except ValueError:
            raise ParityUsageError(f"{flag} {raw!r} is not a number", fix) from None
    return out


def rates_option(values: list[str] | None, given: dict[str, Any]) -> list[float]:
    rates = _numbers(values, "--service-rate", float, "give requests per second > 0, e.g. --service-rate 5,20,50")
    resolve("standard", rates, None, None)
    return rates


def duration_option(value: float | None, given: dict[str, Any]) -> float | None:
    resolve("standard", None, value, None)
    return value


def model_option(values: list[str] | None, given: dict[str, Any]) -> list[int]:
    model = _numbers(values, "--service-model-ms", int, "give whole milliseconds >= 0, e.g. --service-model-ms 0,50")
    resolve("standard", None, None, model)
    return model
