"""`parity check --workload module:name`: the workload matrix, a thin layer over pytest compat/test_workloads.py."""

from __future__ import annotations

import sys
from pathlib import Path

from parity.errors import ParityUsageError
from parity.layout import REINSTALL, suite


def build_parser():
    from parity.cli import Parser
    from parity.options import add_cli_options

    from parity.cli.run import add_evidence_options

    p = Parser(prog="parity check", description="run your workload on every backend, flavour and loop; compare "
                                                  "with the reference and time each step; write DIR/results.json "
                                                  "and its report (default DIR: ./reports/<run-id>)")
    p.add_argument("-k", dest="keyword", default=None, help="pytest -k expression")
    add_evidence_options(p)
    add_cli_options(p, "check")
    return p


def test_file() -> Path:
    path = suite().part("compat") / "test_workloads.py"
    if not path.is_file():
        raise ParityUsageError(f"{path} does not exist", REINSTALL)
    return path


def pytest_argv(args) -> list[str]:
    from parity.cli.run import forward

    # preflight imported the workload's plugins before pytest.main: their assert-rewrite warning is noise
    argv = forward(args, [str(test_file())], "check") + ["-W", "ignore::pytest.PytestAssertRewriteWarning"]
    return argv + (["-rs"] if args.verbose or args.show_diffs else [])  # skip reasons: in the report otherwise


def main_check(argv: list[str]) -> int:
    """Load and preflight every workload on the reference (exit 2 with one line if bad), then run the matrix and
    write the run's folder as `parity run` does (--out, default ./reports/<run-id>)."""
    from parity.cli.run import default_out, execute

    args = build_parser().parse_args(argv)
    test_file()
    out = Path(args.out) if args.out else default_out()
    args.out = out
    return execute(args, out, lambda: pytest_argv(args), history=None, checks=_check_workloads, command="check")


def _check_workloads(options) -> None:
    from parity.workloads.contract import load
    from parity.workloads.runner import preflight

    if not options.workloads:
        raise ParityUsageError("parity check: --workload is required", "give --workload module:name (repeatable)")
    for spec in options.workloads:
        preflight(load(spec))


if __name__ == "__main__":
    from parity.cli import main

    sys.exit(main(["check", *sys.argv[1:]]))
