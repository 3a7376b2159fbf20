"""The suite's options, declared once: the pytest plugin's flags, the `parity` CLI's flags and their one validation.

To add an option, add one field to `Options` below with `option(...)`: pytest gets `--parity-NAME` (or the flag
you give), `parity run` and `parity check` (and `parity doctor` for SERVER options) get the same flag plus its
short CLI spelling, the CLI forwards what it parsed to pytest, and `resolve=` is the one place its value is
checked and defaulted. Code reads it as `session.options.NAME`.
"""

from __future__ import annotations

import os
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, Callable

from parity import families, roles
from parity.errors import ParityUsageError
from parity.servers.containers import NETWORKS
from parity.servers.pool import PROVIDERS
from parity.service import plan as service_plan

SUITE = ("run", "check")  # the commands that run the suite through pytest
SERVER = ("doctor", "replay", "langgraph-tests") + SUITE  # options about where servers and savers come from: every command that uses them
DEFAULT_CELL_TIMEOUT_S = 120.0  # a compat cell runs in well under a second here; minutes mean a hang


def pytest_dest(name: str) -> str:
    """Where pytest keeps an option: flags and dests are one namespace shared by every plugin and conftest.py of a
    repository, and this plugin loads in a team's repository too. A team's own `--redis-url` or another plugin's
    `--profile` must not collide with ours (pytest refuses to start on a collision), so every pytest flag is
    `--parity-*` (the `parity` CLI keeps the short spellings) and every dest `parity_*`."""
    return f"parity_{name}"


@dataclass(frozen=True)
class Opt:
    """One option as both pytest and argparse see it."""

    flag: str  # the pytest flag, always --parity-* (see pytest_dest), also accepted by the CLI
    help: str
    kind: type = str  # str, int, float, bool (a switch) or list (repeatable, comma-separated values split)
    cli: str | None = None  # the CLI's shorter spelling, e.g. --backend for --parity-backend
    choices: tuple[str, ...] | None = None
    metavar: str | None = None
    commands: tuple[str, ...] = SUITE
    resolve: Callable[[Any, dict[str, Any]], Any] | None = None  # (given value, all given values) -> value; raises ParityUsageError

    def parse_default(self) -> Any:
        """What a flag holds when not given: absent, so the resolver (or the field default) decides."""
        return [] if self.kind is list else False if self.kind is bool else None

    def argparse_kw(self, dest: str) -> dict[str, Any]:
        kw: dict[str, Any] = {"dest": dest, "default": self.parse_default(), "help": self.help}
        if self.kind is bool:
            return {**kw, "action": "store_true"}
        if self.kind is list:
            kw["action"] = "append"
        elif self.kind is not str:
            kw["type"] = self.kind
        return {**kw, **({"choices": self.choices} if self.choices else {}),
                **({"metavar": self.metavar} if self.metavar else {})}

    def cli_flags(self) -> list[str]:
        return [self.cli, self.flag] if self.cli and self.cli != self.flag else [self.flag]

    def forward(self, value: Any) -> list[str]:
        """The pytest arguments for a value the CLI parsed, as single "--flag=value" tokens.

        (pytest treats a separate value that is an existing path, e.g. the --out dir, as a test path when it
        looks for its config file, and then misses pyproject.toml.)
        """
        if self.kind is bool:
            return [self.flag] if value else []
        if self.kind is list:
            return [f"{self.flag}={v}" for v in value or []]
        return [] if value is None or value == "" else [f"{self.flag}={value}"]


def option(flag: str, help: str, *, default: Any = None, **kw: Any) -> Any:
    """A field of Options declared as a command-line option; `default` is the value when not given."""
    opt = Opt(flag, help, **kw)
    if opt.kind is list:
        return field(default_factory=(lambda: list(default)) if default is not None else list, metadata={"opt": opt})
    return field(default=False if opt.kind is bool else default, metadata={"opt": opt})


def _split(values: list[str] | None, given: dict[str, Any] | None = None) -> list[str]:
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


def _repeat(value: int | None, given: dict[str, Any]) -> int:
    repeat = value if value is not None else _int_env("PARITY_REPEAT", 1)
    if repeat < 1:
        raise ParityUsageError(f"--repeat {repeat}: a scenario runs at least once", "use --repeat 1 or more")
    return repeat


def _timeout(value: float | None, given: dict[str, Any]) -> float:
    if value is None:
        return DEFAULT_CELL_TIMEOUT_S
    if value < 0:
        raise ParityUsageError(f"--parity-timeout {value:g}: a time limit cannot be negative",
                               "give seconds, or 0 for no limit")
    return float(value)


def _profile(value: str | None, given: dict[str, Any]) -> str:
    return value or ("quick" if given.get("quick") else "standard")


# Generated examples per cell and property (compat/test_generated.py), by profile; --parity-examples overrides.
EXAMPLES = {"quick": 25, "standard": 100, "full": 400}
# Seconds Hypothesis may spend shrinking one failure, by profile (its own cap is 300 s): a finding's example is then
# as small as that time allowed; the cell still fails and its repro still runs.
SHRINK_SECONDS = {"quick": 4, "standard": 60, "full": 240}


def _shrink(value: float | None, given: dict[str, Any]) -> float:
    if value is None:
        return SHRINK_SECONDS[_profile(given.get("profile"), given)]
    if value <= 0:
        raise ParityUsageError(f"--parity-shrink-seconds {value:g}: shrinking needs some time", "give seconds > 0")
    return float(value)


def _examples(value: int | None, given: dict[str, Any]) -> int:
    if value is None:
        return EXAMPLES[_profile(given.get("profile"), given)]
    if value < 1:
        raise ParityUsageError(f"--parity-examples {value}: a generated property needs at least one example",
                               "use --parity-examples 1 or more")
    return value


def _seed(value: int | None, given: dict[str, Any]) -> int | None:
    # None: the session draws one (parity.session), so resolving options twice (CLI, then pytest) agrees
    if value is None:
        return None
    if not 0 <= value < 2**32:
        raise ParityUsageError(f"--parity-seed {value}: out of range", "give a seed between 0 and 4294967295")
    return value


OFF = ("off", "none", "no", "0")  # spellings of "no example database"


def default_hypothesis_db() -> Path:
    """The per-user cache of generated failures: $XDG_CACHE_HOME (or ~/.cache)/checkpoint-parity/hypothesis."""
    from parity import user_cache

    return user_cache.hypothesis_db()


def _hypothesis_db(value: str | None, given: dict[str, Any]) -> Path | None:
    """--parity-hypothesis-db, else $PARITY_HYPOTHESIS_DB, else the per-user cache; "off" keeps none. Kept outside
    the run's folder on purpose: each run writes a new folder, and a failure should replay first in the next run."""
    raw = value if value is not None else os.environ.get("PARITY_HYPOTHESIS_DB")
    if raw is None or not raw.strip():
        return default_hypothesis_db()
    if raw.strip().lower() in OFF:
        return None
    path = Path(raw).expanduser()
    if path.exists() and not (path.is_dir() and os.access(path, os.W_OK)):
        raise ParityUsageError(f"--parity-hypothesis-db {raw}: not a writable folder",
                               "give a folder the suite may write, or 'off' for no example database")
    return path


def _slowdowns(value: list[str] | None, given: dict[str, Any]) -> list:
    from parity.measuring.slowdown import resolve

    return resolve(_split(value, given), given)


def _path(value: str | None, given: dict[str, Any]) -> Path | None:
    return Path(value) if value else None


def _shard(value: str | None, given: dict[str, Any]):
    from parity.shard import parse

    return parse(value)


def _shard_durations(value: str | None, given: dict[str, Any]) -> Path | None:
    from parity.shard import load_durations

    if value and not given.get("shard"):
        raise ParityUsageError("--shard-durations balances shards, but no --shard K/N was given",
                               "add --shard K/N, or leave --shard-durations out")
    return load_durations(value)


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ParityUsageError(f"{name}={raw!r} is not a whole number", f"set {name} to 1 or more, or unset it") from None


@dataclass
class Options:
    """The resolved options of one run. Each field is one option; see the module docstring to add one."""

    provider: str | None = option("--parity-provider", "where servers come from (default: $PARITY_PROVIDER or auto)",
                                  choices=PROVIDERS, cli="--provider", commands=SERVER)
    # --FAMILY-url for every server family (parity/families/): not fields here but one option per family module,
    # declared in family_url_options(), so a new family brings its URL flag with it. {family: URL} as given.
    urls: dict[str, str] = field(default_factory=dict)
    container_network: str | None = option("--parity-container-network", "testcontainers: bridge (mapped ports, "
                                           "the default) or host (a free loopback port per server, no bridge "
                                           "network; $PARITY_CONTAINER_NETWORK)", choices=NETWORKS,
                                           cli="--container-network", commands=SERVER)
    images: list[str] = option("--parity-image", "testcontainers: FAMILY=IMAGE, e.g. redis=redis/redis-stack-server "
                               "(default $PARITY_REDIS_IMAGE / $PARITY_POSTGRES_IMAGE, else redis:8.2 and postgres:18; "
                               "TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX goes in front)", kind=list, cli="--image",
                               metavar="FAMILY=IMAGE", commands=SERVER)
    backends: list[str] = option("--parity-backend", "run only these backends (repeatable or comma-separated; "
                                 "default: all registered)", kind=list, cli="--backend", metavar="NAME",
                                 commands=SERVER, resolve=_split)
    savers: list[str] = option("--parity-saver", "register a third-party saver factory as a backend", kind=list,
                               metavar="NAME=module:factory", commands=SERVER)
    pairs: list = option("--parity-pair", "a migration to judge, INCUMBENT:CANDIDATE backends: every ratio, claim "
                         "and chart comparing two backends reads its pairs (repeatable; default postgres:redis and "
                         "postgres-shallow:redis-shallow)", kind=list, cli="--pair", metavar="INCUMBENT:CANDIDATE",
                         commands=SERVER, default=roles.DEFAULT, resolve=roles.option)
    loops: list[str] = option("--parity-loop", "event loops for async cells (default: all of this platform)",
                              kind=list, cli="--loop", metavar="NAME", resolve=_split)
    out: Path | None = option("--parity-out", "write DIR/results.json (parity run: default reports/<run-id>)",
                              cli="--out", metavar="DIR", resolve=_path)
    quick: bool = option("--parity-quick", "the fast profile", kind=bool, cli="--quick")
    repeat: int = option("--parity-repeat", "run each compat scenario N times; a divergence is reported with its rate",
                         kind=int, cli="--repeat", metavar="N", default=1, resolve=_repeat)
    profile: str = option("--parity-profile", "benchmark profile (default: standard, or quick with --quick)",
                          choices=("quick", "standard", "full"), cli="--profile", default="standard", resolve=_profile)
    workloads: list[str] = option("--parity-workload", "also run this workload (a team's own graph, module:name or a "
                                  ".toml/.json step script) through the matrix", kind=list, cli="--workload",
                                  metavar="module:name", resolve=_split)
    cell_timeout_s: float = option("--parity-timeout", f"a compat cell that runs longer fails as hung (default "
                                   f"{DEFAULT_CELL_TIMEOUT_S:g} s per run; 0: no limit; needs SIGALRM, i.e. not on "
                                   "Windows)", kind=float, cli="--timeout", metavar="SECONDS",
                                   default=DEFAULT_CELL_TIMEOUT_S, resolve=_timeout)
    shard: Any = option("--parity-shard", "run shard K of N of the compat matrix (same plan on every runner; bench "
                        "and faults run whole in shard 1); `parity merge` joins the shards", cli="--shard",
                        metavar="K/N", resolve=_shard)
    shard_durations: Path | None = option("--parity-shard-durations", "balance --shard by the cell durations of "
                                          "this earlier results.json (default: by item count)",
                                          cli="--shard-durations", metavar="RESULTS", resolve=_shard_durations)
    seed: int | None = option("--parity-seed", "seed of the generated examples (default: a new one per run, printed and "
                       "saved in results.json; give it again to replay a run)", kind=int, cli="--seed", metavar="N",
                       resolve=_seed)
    examples: int = option("--parity-examples", "generated examples per cell and property (default by profile: "
                           + ", ".join(f"{k} {v}" for k, v in EXAMPLES.items()) + ")", kind=int, cli="--examples",
                           metavar="N", default=EXAMPLES["standard"], resolve=_examples)
    shrink_seconds: float = option("--parity-shrink-seconds", "time Hypothesis may spend shrinking one generated "
                                   "failure (default by profile: " + ", ".join(f"{k} {v}" for k, v in
                                                                             SHRINK_SECONDS.items()) + ")",
                                   kind=float, cli="--shrink-seconds", metavar="SECONDS",
                                   default=SHRINK_SECONDS["standard"], resolve=_shrink)
    service_rates: list[float] = option("--parity-service-rate", "service part: offered requests per second, each a "
                                        "fixed arrival rate (repeatable or comma-separated; default by profile)",
                                        kind=list, cli="--service-rate", metavar="RPS", resolve=service_plan.rates_option)
    service_duration: float | None = option("--parity-service-duration", "service part: seconds per rate and backend "
                                            "(default by profile)", kind=float, cli="--service-duration",
                                            metavar="SECONDS", resolve=service_plan.duration_option)
    service_model_ms: list[int] = option("--parity-service-model-ms", "service part: the fake model call of each "
                                         "turn, in ms (repeatable or comma-separated; default by profile: quick 50, "
                                         "standard 0,50, full 0,50,500)", kind=list, cli="--service-model-ms",
                                         metavar="MS", resolve=service_plan.model_option)
    restart_dead_servers: bool = option("--parity-restart-dead-servers", "when a server the suite started dies or "
                                        "stalls mid-run, restart it once and re-run the cells it spoiled (a second "
                                        "death stops that backend's cells, with the reason)", kind=bool,
                                        cli="--restart-dead-servers")
    slowdowns: list = option("--parity-slowdown", "calibration (parity calibrate): every benchmark saver of BACKEND "
                             "busy-waits SHARE of METHOD's own running median on the client before each call, e.g. "
                             "redis:put=0.2; the run records it (run.slowdowns)", kind=list, cli="--slowdown",
                             metavar="BACKEND:METHOD=SHARE", resolve=_slowdowns)
    hypothesis_db: Path | None = option("--parity-hypothesis-db", "where Hypothesis keeps generated failures so they "
                                        "replay first in the next run, whatever its --out (default: "
                                        "$PARITY_HYPOTHESIS_DB, else ~/.cache/checkpoint-parity/hypothesis; 'off': none)",
                                        cli="--hypothesis-db", metavar="DIR|off", resolve=_hypothesis_db)

    @classmethod
    def declared(cls, command: str | None = None) -> list[tuple[str, Opt]]:
        """(name, option) of every option, or of those a CLI command takes; NAME is the argparse dest."""
        every = [(f.name, f.metadata["opt"]) for f in fields(cls) if "opt" in f.metadata] + family_url_options()
        return [(name, opt) for name, opt in every if command is None or command in opt.commands]

    @classmethod
    def from_values(cls, get: Callable[[str], Any]) -> "Options":
        """The one validation: each option's value as given (None when absent), resolved and checked."""
        given = {name: get(name) for name, _ in cls.declared()}
        values: dict[str, Any] = {"urls": {family: given[f"{family}_url"] for family in families.names()
                                          if given[f"{family}_url"]}}
        for f in fields(cls):
            if "opt" not in f.metadata:
                continue
            opt: Opt = f.metadata["opt"]
            value = given[f.name]
            if opt.resolve is not None:
                values[f.name] = opt.resolve(value, given)
            elif value is not None:
                values[f.name] = list(value) if opt.kind is list else value
            else:
                values[f.name] = f.default_factory() if f.default_factory is not MISSING else f.default
        return cls(**values)

    @classmethod
    def from_pytest(cls, config) -> "Options":
        return cls.from_values(lambda name: config.getoption(pytest_dest(name)))

    @classmethod
    def from_args(cls, args) -> "Options":
        """From a CLI namespace; options the command does not take keep their defaults."""
        return cls.from_values(lambda name: getattr(args, name, None))


def family_url_options() -> list[tuple[str, Opt]]:
    """--FAMILY-url of every server family, from the family's own declaration (title, scope kind)."""
    out = []
    for name in families.names():
        family = families.get(name)
        scope = "schema" if family.schema_scoped else "key prefix"
        out.append((f"{name}_url", Opt(f"--parity-{name}-url", f"use this {family.title} (external; the suite stays "
                                       f"in its own {scope})", cli=f"--{name}-url", commands=SERVER)))
    return out


def add_options(parser) -> None:
    """The pytest plugin's options (pytest_addoption)."""
    group = parser.getgroup("parity", "checkpoint-parity")
    for name, opt in Options.declared():
        group.addoption(opt.flag, **opt.argparse_kw(pytest_dest(name)))


def add_cli_options(parser, command: str) -> None:
    """The options a `parity` command takes, each under its CLI spelling and its pytest flag."""
    for name, opt in Options.declared(command):
        parser.add_argument(*opt.cli_flags(), **opt.argparse_kw(name))


def forward(args, command: str) -> list[str]:
    """The pytest arguments for what a `parity` command parsed, option by option from the one declaration."""
    return [token for name, opt in Options.declared(command) for token in opt.forward(getattr(args, name, None))]
