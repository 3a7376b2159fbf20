"""`parity check --workload module:name`: the workload matrix, a thin layer over pytest compat/test_workloads.py."""

from __future__ import annotations

import sys
from pathlib import Path

from parity.errors import ParityUsageError
from parity.layout import REINSTALL, suite


def build_parser():
    from parity.cli import Parser
    from parity.options import add_cli_options

    p = Parser(prog="parity check", description="run your workload on every backend, flavour and loop; compare "
                                                  "with the reference and time each step")
    p.add_argument("-k", dest="keyword", default=None, help="pytest -k expression")
    p.add_argument("pytest_args", nargs="*", help="extra pytest arguments after --")
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
    return forward(args, [str(test_file())], "check") + ["-rs", "-W", "ignore::pytest.PytestAssertRewriteWarning"]


def main_check(argv: list[str]) -> int:
    """Load and preflight every workload on the reference (exit 2 with one line if bad), then run the matrix."""
    import pytest

    from parity.cli.run import announce_provider, preflight as run_preflight
    from parity.workloads.contract import load
    from parity.workloads.runner import preflight

    try:
        args = build_parser().parse_args(argv)
        test_file()
        options = run_preflight(args, Path(args.out) if args.out else None)
        if not options.workloads:
            raise ParityUsageError("parity check: --workload is required", "give --workload module:name (repeatable)")
        for spec in options.workloads:
            preflight(load(spec))
        announce_provider(options)
    except ParityUsageError as exc:
        print(exc.line(), file=sys.stderr)
        return exc.exit_code
    from parity import interrupt

    code = interrupt.run_pytest(pytest_argv(args))

    if code == int(pytest.ExitCode.INTERRUPTED) or interrupt.requested():
        from parity.cli.run import interrupted

        return interrupted(Path(args.out) if args.out else None)  # the plugin's fixtures stopped the servers
    return 2 if code == int(pytest.ExitCode.USAGE_ERROR) else code


if __name__ == "__main__":
    sys.exit(main_check(sys.argv[1:]))
