"""`parity doctor | run | report | merge | gate | compare | calibrate | migrate | check | init | shadow | replay | langgraph-tests`: thin commands over the plugin and the results document."""

from __future__ import annotations

import argparse
import os
import sys

from parity.errors import ParityUsageError

COMMANDS = ("doctor", "run", "report", "merge", "gate", "compare", "calibrate", "migrate", "check", "init", "shadow",
            "replay", "langgraph-tests")


def main(argv: list[str] | None = None) -> int:
    code = _main(argv)
    if code == 130 and argv is None:  # the `parity` command itself (not a caller in-process) after Ctrl-C
        # Servers are stopped and results saved by now; tearing down the interpreter's modules takes another
        # second or two on a busy machine, and one Ctrl-C must end the run within 5 s.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _main(argv: list[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__ + "\n\nusage: parity {" + ",".join(COMMANDS) + "} [options]   (parity COMMAND --help)")
        return 0 if argv else 2
    if argv[0] in ("-V", "--version"):
        from parity import layout

        about = layout.describe()
        where = f"{about['install']}: {layout.suite().root}" if about["install"] else "scenarios missing"
        print(f"checkpoint-parity {about['suite_version'] or '(not installed)'} ({where})")
        return 0
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"parity: unknown command {command!r} (fix: use one of {', '.join(COMMANDS)})", file=sys.stderr)
        return 2
    try:
        return _dispatch(command, rest)
    except ParityUsageError as exc:
        print(exc.line(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        from parity import interrupt

        interrupt.unwinding()  # no repeat of the signal while we say so and exit
        print("parity: interrupted", file=sys.stderr)
        return 130


def _dispatch(command: str, rest: list[str]) -> int:
    if command == "langgraph-tests":
        from parity.cli.langgraph_tests import main_langgraph_tests
        return main_langgraph_tests(rest)
    if command == "replay":
        from parity.cli.replay import main_replay
        return main_replay(rest)
    if command == "shadow":
        from parity.cli.shadow import main_shadow
        return main_shadow(rest)
    if command == "init":
        from parity.cli.init import main_init
        return main_init(rest)
    if command == "doctor":
        from parity.cli.doctor import main_doctor
        return main_doctor(rest)
    if command == "run":
        from parity.cli.run import main_run
        return main_run(rest)
    if command == "report":
        from parity.cli.report import main_report
        return main_report(rest)
    if command == "merge":
        from parity.cli.merge import main_merge
        return main_merge(rest)
    if command == "gate":
        from parity.cli.report import main_gate
        return main_gate(rest)
    if command == "compare":
        from parity.cli.report import main_compare
        return main_compare(rest)
    if command == "calibrate":
        from parity.cli.calibrate import main_calibrate
        return main_calibrate(rest)
    if command == "migrate":
        from parity.cli.migrate import main_migrate
        return main_migrate(rest)
    from parity.cli.check import main_check
    return main_check(rest)


class Parser(argparse.ArgumentParser):
    """argparse that reports bad input as one ParityUsageError line (exit 2) instead of its usage dump."""

    def error(self, message: str):  # type: ignore[override]
        raise ParityUsageError(f"{self.prog}: {message}", f"see `{self.prog} --help`")


def add_server_options(p: argparse.ArgumentParser) -> None:
    """Where servers and savers come from (parity doctor); declared once in parity/options.py."""
    from parity.options import add_cli_options

    add_cli_options(p, "doctor")
