"""Command-line options, written once: used by the pytest plugin and forwarded by the `parity` CLI."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parity.errors import ParityUsageError
from parity.servers.pool import PROVIDERS


def add_options(parser) -> None:
    group = parser.getgroup("parity", "checkpoint-parity")
    group.addoption("--provider", choices=PROVIDERS, default=None,
                    help="where servers come from (default: $PARITY_PROVIDER or auto)")
    group.addoption("--redis-url", default=None, help="use this Redis (external; the suite stays in its own key prefix)")
    group.addoption("--postgres-url", default=None, help="use this Postgres (external; the suite stays in its own schema)")
    group.addoption("--parity-backend", action="append", default=[], metavar="NAME",
                    help="run only these backends (repeatable or comma-separated; default: all registered)")
    group.addoption("--parity-saver", action="append", default=[], metavar="NAME=module:factory",
                    help="register a third-party saver factory as a backend")
    group.addoption("--parity-loop", action="append", default=[], metavar="NAME",
                    help="event loops for async cells (default: all of this platform)")
    group.addoption("--parity-out", default=None, metavar="DIR", help="write DIR/results.json")
    group.addoption("--parity-quick", action="store_true", default=False, help="the fast profile")
    group.addoption("--repeat", type=int, default=None, metavar="N",
                    help="run each compat scenario N times; a divergence is reported with its rate")
    group.addoption("--parity-profile", default=None, choices=("quick", "standard", "full"),
                    help="benchmark profile (default: standard, or quick with --parity-quick)")
    group.addoption("--parity-workload", action="append", default=[], metavar="module:name",
                    help="also run this workload (a team's own graph) through the matrix")
    group.addoption("--parity-timeout", type=float, default=None, metavar="SECONDS",
                    help=f"a compat cell that runs longer fails as hung (default {DEFAULT_CELL_TIMEOUT_S:g} s per run; "
                         "0: no limit; needs SIGALRM, i.e. not on Windows)")


DEFAULT_CELL_TIMEOUT_S = 120.0  # a compat cell runs in well under a second here; minutes mean a hang


def _split(values: list[str]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


@dataclass
class Options:
    provider: str | None = None
    redis_url: str | None = None
    postgres_url: str | None = None
    backends: list[str] = field(default_factory=list)
    savers: list[str] = field(default_factory=list)
    loops: list[str] = field(default_factory=list)
    out: Path | None = None
    quick: bool = False
    repeat: int = 1
    profile: str = "standard"
    workloads: list[str] = field(default_factory=list)
    cell_timeout_s: float = DEFAULT_CELL_TIMEOUT_S

    @classmethod
    def from_pytest(cls, config) -> "Options":
        get = config.getoption
        quick = bool(get("parity_quick"))
        repeat = get("repeat") if get("repeat") is not None else _int_env("PARITY_REPEAT", 1)
        if repeat < 1:
            raise ParityUsageError(f"--repeat {repeat}: a scenario runs at least once", "use --repeat 1 or more")
        return cls(get("provider"), get("redis_url"), get("postgres_url"), _split(get("parity_backend")),
                   list(get("parity_saver")), _split(get("parity_loop")),
                   Path(get("parity_out")) if get("parity_out") else None, quick, repeat,
                   get("parity_profile") or ("quick" if quick else "standard"), _split(get("parity_workload")),
                   _timeout(get("parity_timeout")))

    def as_args(self) -> list[str]:
        args: list[str] = []
        for flag, value in (("--provider", self.provider), ("--redis-url", self.redis_url),
                            ("--postgres-url", self.postgres_url), ("--parity-out", self.out)):
            if value:
                args += [flag, str(value)]
        args += [a for b in self.backends for a in ("--parity-backend", b)]
        args += [a for s in self.savers for a in ("--parity-saver", s)]
        args += [a for lp in self.loops for a in ("--parity-loop", lp)]
        args += [a for w in self.workloads for a in ("--parity-workload", w)]
        args += ["--parity-quick"] if self.quick else []
        args += ["--repeat", str(self.repeat)] if self.repeat > 1 else []
        return args

    def describe(self) -> dict[str, Any]:
        return {"provider": self.provider, "quick": self.quick, "repeat": self.repeat, "profile": self.profile}


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ParityUsageError(f"{name}={raw!r} is not a whole number", f"set {name} to 1 or more, or unset it") from None


def _timeout(value: float | None) -> float:
    if value is None:
        return DEFAULT_CELL_TIMEOUT_S
    if value < 0:
        raise ParityUsageError(f"--parity-timeout {value:g}: a time limit cannot be negative",
                               "give seconds, or 0 for no limit")
    return float(value)
