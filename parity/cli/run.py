"""`parity run`: the suite through pytest and the plugin, then the results document and its renderings."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from parity.cli import Parser, add_server_options
from parity.errors import ParityUsageError

SUITE_ROOT = Path(__file__).resolve().parents[2]  # the repository: compat/, bench/, faults/ live here
PARTS = {"compat": "compat", "bench": "bench", "faults": "faults"}
DEMO_WORKLOAD = "parity.workloads.demo:sales_email"


def build_parser() -> Parser:
    p = Parser(prog="parity run", description="run compat matrix, benchmarks and faults; write DIR/results.json")
    p.add_argument("--only", action="append", choices=sorted(PARTS), default=[], help="run only these parts")
    p.add_argument("--quick", action="store_true", help="the fast profile")
    p.add_argument("--profile", choices=("quick", "standard", "full"), default=None)
    p.add_argument("--out", default=None, help="run directory (default reports/<run-id>)")
    p.add_argument("--repeat", type=int, default=None)
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="a compat cell that runs longer fails as hung (default 120 per run; 0: no limit)")
    p.add_argument("--loop", action="append", default=[])
    p.add_argument("--workload", action="append", default=None,
                   help=f"module:name of a workload (default with compat: {DEMO_WORKLOAD}); 'none' for none")
    p.add_argument("-k", dest="keyword", default=None, help="pytest -k expression")
    p.add_argument("--history", default="reports/history.jsonl",
                   help="regression history to append this run to (default reports/history.jsonl); 'none' to skip")
    p.add_argument("pytest_args", nargs="*", help="extra pytest arguments after --")
    add_server_options(p)
    return p


def pytest_args(args, out: Path) -> list[str]:
    parts = args.only or list(PARTS)
    paths = [str(SUITE_ROOT / PARTS[p]) for p in parts if (SUITE_ROOT / PARTS[p]).is_dir()]
    if not paths:
        raise ParityUsageError(f"none of {parts} exists under {SUITE_ROOT}", "run parity from a checkout of checkpoint-parity")
    workloads = args.workload if args.workload is not None else ([DEMO_WORKLOAD] if "compat" in parts else [])
    return forward(args, paths, out, [w for w in workloads if w != "none"])


def forward(args, paths: list[str], out: Path | None, workloads: list[str]) -> list[str]:
    """The pytest command line for the suite's own options (shared by `parity run` and `parity check`)."""
    # Options as single "--flag=value" tokens: pytest treats a separate value that is an existing path
    # (the --out dir) as a test path when it looks for the config file, and then misses pyproject.toml.
    argv = paths + ["-p", "no:cacheprovider", f"--rootdir={SUITE_ROOT}", f"-c={SUITE_ROOT / 'pyproject.toml'}", "-q"]
    for flag, value in (("--provider", args.provider), ("--redis-url", args.redis_url),
                        ("--postgres-url", args.postgres_url), ("--repeat", args.repeat), ("--parity-out", out),
                        ("--parity-profile", getattr(args, "profile", None)), ("-k", args.keyword),
                        ("--parity-timeout", getattr(args, "timeout", None))):
        if value is not None and value != "":
            argv.append(f"{flag}={value}")
    argv += ["--parity-quick"] if args.quick else []
    argv += [f"--parity-backend={b}" for b in args.backends]
    argv += [f"--parity-saver={s}" for s in args.savers]
    argv += [f"--parity-loop={lp}" for lp in args.loop]
    argv += [f"--parity-workload={w}" for w in workloads]
    return argv + list(args.pytest_args)


def preflight(args, out: Path | None) -> None:
    """Bad options fail here, in one line and before pytest starts (which would wrap our line in its own)."""
    from parity import loops
    from parity.backends.registry import registry_with
    from parity.servers.pool import ServerConfig

    ServerConfig.resolve(args.provider, args.redis_url, args.postgres_url)
    registry_with(args.savers).select([b for v in args.backends for b in v.split(",") if b])
    loops.select([lp for v in args.loop for lp in v.split(",") if lp])
    if getattr(args, "timeout", None) is not None and args.timeout < 0:
        raise ParityUsageError(f"--timeout {args.timeout:g}: a time limit cannot be negative", "give seconds, or 0 for no limit")
    if args.repeat is not None and args.repeat < 1:
        raise ParityUsageError(f"--repeat {args.repeat}: a scenario runs at least once", "use --repeat 1 or more")
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ParityUsageError(f"cannot create the run directory {out}: {exc.strerror or exc}",
                                   "choose a writable --out DIR") from None


def main_run(argv: list[str]) -> int:
    import pytest

    args = build_parser().parse_args(argv)
    out = Path(args.out) if args.out else Path("reports") / datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    preflight(args, out)
    code = pytest.main(pytest_args(args, out))
    if code == pytest.ExitCode.INTERRUPTED:
        print(f"parity: interrupted; partial results in {out / 'results.json'}, no report rendered", file=sys.stderr)
        return 130
    if code == pytest.ExitCode.USAGE_ERROR or not (out / "results.json").exists():
        print(f"parity: the run did not complete (pytest exit {int(code)}); no report written", file=sys.stderr)
        return 2 if code == pytest.ExitCode.USAGE_ERROR else 1
    from parity.cli.report import finish_run

    return finish_run(out, None if args.history == "none" else Path(args.history))
