"""`parity run`: the suite through pytest and the plugin, then the results document and its renderings."""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from parity.cli import Parser
from parity.errors import ParityUsageError
from parity.layout import PART_FILES, PARTS, SUITE_INI, suite
from parity.options import Options, add_cli_options
from parity.options import forward as forward_options
from parity.servers.pool import ServerPool
from parity.session import selection

DEMO_WORKLOAD = "parity.workloads.demo:sales_email"


def build_parser() -> Parser:
    p = Parser(prog="parity run", description="run compat matrix, benchmarks and faults; write DIR/results.json. "
               f"--workload defaults to {DEMO_WORKLOAD} when compat runs; 'none' for none")
    p.add_argument("--only", action="append", choices=sorted(PARTS), default=[], help="run only these parts")
    p.add_argument("-k", dest="keyword", default=None, help="pytest -k expression")
    p.add_argument("--sequential", action="store_true", help="run the parts one after another (default: the fault "
                   "studies run in a process beside compat, joined before the benchmarks; parity/cli/side.py)")
    p.add_argument("--history", default=None, metavar="PATH|none",
                   help="the run history this run joins and the report's trend reads (default: the user cache, "
                        "$XDG_CACHE_HOME or ~/.cache, then checkpoint-parity/history.jsonl); 'none' to skip")
    add_evidence_options(p)
    add_cli_options(p, "run")
    return p


def add_evidence_options(p) -> None:
    """What `parity run` and `parity check` share besides the suite's options: the console and the exit code."""
    from parity.cli.outcome import add_fail_on

    p.add_argument("-v", "--verbose", action="count", default=0, help="pytest's verbose output, with its FAILURES "
                   "section (every failed cell's whole diff)")
    p.add_argument("--show-diffs", action="store_true", help="print pytest's FAILURES section (every failed cell's "
                   "whole diff) on the console; without it they are in DIR/failures.txt")
    add_fail_on(p)
    p.add_argument("pytest_args", nargs="*", help="extra pytest arguments after --")


def default_out() -> Path:
    """./reports/<run-id>/: where a run writes when --out is not given."""
    return Path("reports") / datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def pytest_args(args, out: Path, beside=None) -> list[str]:
    """The main run's pytest command line; with `beside` (parity.cli.side.Beside), faults/ runs in a process of its
    own while compat runs here, when the run allows it (side.overlaps)."""
    parts = args.only or [p for p in PARTS if p not in PART_FILES]  # a file part runs inside its folder's part
    paths = [str(suite().part(p)) for p in parts]
    if not args.workloads and "compat" in parts:
        args.workloads = [DEMO_WORKLOAD]
    args.workloads = [w for w in args.workloads if w != "none"]
    args.out = out
    if beside is not None:
        from parity.cli import side

        if side.overlaps(args, parts, uses_xdist(list(args.pytest_args or []))):
            paths = beside.prepare(args, out, paths, forward)
    return forward(args, paths, "run")


def forward(args, paths: list[str], command: str) -> list[str]:
    """The pytest command line: the suite's paths, then every option the command parsed (parity/options.py)."""
    root = suite().root  # a checkout or the wheel's parity/suite; never the user's folder and its own pytest config
    argv = paths + ["-p", "no:cacheprovider", f"--rootdir={root}", f"--confcutdir={root}", f"-c={SUITE_INI}", "-q"]
    # this process imported parity before pytest.main, so pytest cannot assert-rewrite it: that is expected
    argv += ["-W", "ignore:Module already imported so cannot be rewritten:pytest.PytestAssertRewriteWarning"]
    argv += [f"-k={args.keyword}"] if args.keyword else []
    argv += console_args(args)
    from parity import user_cache

    argv += user_cache.keep_out_of_cwd(list(args.pytest_args))  # nothing in the current folder but --out
    return argv + forward_options(args, command) + list(args.pytest_args)


def console_args(args) -> list[str]:
    """pytest's own failure output only when asked for: the diffs go to DIR/failures.txt (parity.console)."""
    extra = list(getattr(args, "pytest_args", None) or [])
    verbose = getattr(args, "verbose", 0) or any(a in ("-v", "-vv", "--verbose") for a in extra)
    if verbose or getattr(args, "show_diffs", False):
        return ["-v"] * (getattr(args, "verbose", 0) or 0)
    # pytest-benchmark's table of test_op timings: the same figures are in the report; -v shows it
    return ["--tb=no", "-rN", "--benchmark-quiet"]


def uses_xdist(pytest_argv: list[str]) -> bool:
    """True when the extra pytest arguments ask pytest-xdist for worker processes (-n N / -n auto / --numprocesses)."""
    for n, arg in enumerate(pytest_argv):
        value = None
        if arg in ("-n", "--numprocesses"):
            value = pytest_argv[n + 1] if n + 1 < len(pytest_argv) else ""
        elif arg.startswith("--numprocesses="):
            value = arg.split("=", 1)[1]
        elif arg.startswith("-n") and not arg.startswith("--"):
            value = arg[2:]
        if value is not None and value.strip() not in ("0", ""):
            return True
    return False


def writable(out: Path) -> None:
    """The run directory could be written, checked without creating it: a command rejected later (or by pytest)
    leaves no empty folder behind. An existing folder must take a file; a new one needs its nearest existing
    parent to be a folder we may write into."""
    fix = "choose a writable --out DIR (default: ./reports/<run-id>)"
    try:
        if out.exists():
            with tempfile.TemporaryFile(dir=out):
                pass
            return
        parent = next(p for p in out.absolute().parents if p.exists())
    except OSError as exc:
        raise ParityUsageError(f"cannot write into the run directory {out}: {exc.strerror or exc}", fix) from None
    if not parent.is_dir():
        raise ParityUsageError(f"cannot write into the run directory {out}: {parent} is not a folder", fix)
    try:  # a folder made and removed at once: access() says yes to root where mkdir fails (/proc, read-only mounts)
        os.rmdir(tempfile.mkdtemp(prefix=".parity-", dir=parent))
    except OSError as exc:
        raise ParityUsageError(f"cannot write into the run directory {out}: {exc.strerror or exc}", fix) from None


def preflight(args, out: Path | None) -> Options:
    """Bad options fail here, in one line and before pytest starts (which would wrap our line in its own)."""
    parts = (args.only or list(PARTS)) if hasattr(args, "only") else ["compat"]  # parity check: compat only
    whole = [p for p in parts if p != "compat"]
    if whole and uses_xdist(list(getattr(args, "pytest_args", None) or [])):
        raise ParityUsageError(f"pytest-xdist (-n) is for the compat matrix only; {' and '.join(whole)} must run in "
                               "one process (timings from processes sharing CPUs are not comparable, fault tests "
                               "own their servers)", "add --only compat to the -n run; run bench and faults without -n")
    options = Options.from_args(args)
    server_config, _, backends, _ = selection(options)
    from parity.cli.doctor import check_given_servers

    check_given_servers(server_config, backends)
    if {"bench", "service"} & set(parts):
        from parity.service.preflight import check as check_service

        check_service(options)
    unused = server_config.unused_env()
    if unused:
        print(unused, file=sys.stderr)
    if out is not None:
        writable(out)
    return options


def announce_provider(options: Options) -> None:
    """After the other checks: explicit testcontainers stops here (engine, images) with one line, before
    pytest starts; auto decides and says in one line what it picked and why."""
    config = selection(options)[0]
    if config.provider in ("auto", "testcontainers"):
        print(f"parity: {ServerPool(config).preflight()}", file=sys.stderr)


def main_run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    out = Path(args.out) if args.out else default_out()
    history = None if args.history == "none" else (Path(args.history) if args.history else user_history())
    from parity.cli.side import Beside

    beside = Beside()
    return execute(args, out, lambda: pytest_args(args, out, beside), history=history, plugins=[beside])


def user_history() -> Path:
    from parity import user_cache

    return user_cache.history()


def execute(args, out: Path, argv, history: Path | None = None, checks=None, command: str = "run",
            plugins: list | None = None) -> int:
    """Preflight, pytest, then the report: the one flow of the commands that gather evidence (run, check).

    Exit codes (parity.cli.outcome): 0 when the run completed, whatever it found; 1 only for --fail-on; 2 when
    the command was rejected (nothing is left behind: no run folder) or the run could not complete; 130 on Ctrl-C.
    """
    import pytest

    from parity import interrupt
    from parity.cli import outcome

    existed = out.exists()
    written = Written(history)
    try:
        options = preflight(args, out)
        if checks is not None:
            checks(options)
        announce_provider(options)
    except KeyboardInterrupt:  # during the preflight: nothing started yet
        code = pytest.ExitCode.INTERRUPTED
    else:
        code = interrupt.run_pytest(argv(), plugins=[written, *(plugins or [])])
    if code == pytest.ExitCode.INTERRUPTED or interrupt.requested():
        return interrupted(out if out.is_dir() else None)
    if code == pytest.ExitCode.USAGE_ERROR:  # pytest printed our one line ("ERROR: parity: ...")
        if not existed and nothing_ran(out):  # a rejected command leaves no run folder behind
            import shutil

            shutil.rmtree(out, ignore_errors=True)
        return outcome.USAGE
    if written.doc is None or not (out / "results.json").exists():
        print(f"parity: the run did not complete (pytest exit {int(code)}); no report written", file=sys.stderr)
        return outcome.USAGE
    from parity.cli.report import finish_run

    interrupt.rearm()
    try:
        code = finish_run(out, written.doc, history, fail_on=args.fail_on, command=command)
    except KeyboardInterrupt:  # during rendering: the results are saved, say so (not only "interrupted")
        return interrupted(out)
    return interrupted(out) if interrupt.requested() else code


class Written:
    """The command's own plugin in the pytest run it starts: it adds the run's trend before the save (the
    pytest_parity_update_json hook every team may implement too) and keeps the document the session then validates
    and saves, so the report renders from memory: no reload, no second validation."""

    def __init__(self, history: Path | None) -> None:
        self.history = history
        self.doc: dict | None = None

    def pytest_parity_update_json(self, config, doc: dict) -> None:
        if self.history is not None:
            from parity.finish import add_trend

            add_trend(doc, self.history)
        self.doc = doc


def nothing_ran(out: Path) -> bool:
    """The run folder holds no result: pytest stopped before any test (its document, if saved, has no rows)."""
    from parity import results

    try:
        doc = results.load(out) if (out / "results.json").exists() else {}
    except Exception:  # unreadable: not ours to judge, keep it
        return False
    from parity.sections import row_sections

    return not any(doc.get(section) for section in row_sections())


def interrupted(out: Path | None) -> int:
    """Ctrl-C: the rows so far are in results.json, marked interrupted (a stub when it came before any row)."""
    from parity import interrupt, results

    interrupt.unwinding()
    where = "the run had not started, nothing to save"
    if out is not None and (out / "results.json").exists():
        done = not results.load(out)["run"].get("interrupted")  # Ctrl-C came after the last test had run
        where = (f"the results in {out / 'results.json'} are complete (render them with `parity report {out}`)"
                 if done else f"partial results in {out / 'results.json'} (marked interrupted)")
    elif out is not None:
        doc = results.new_document()
        doc["run"]["interrupted"] = True
        doc["run"]["incomplete"] = ["interrupted (Ctrl-C) before any result"]
        results.save(doc, out)
        where = f"no results yet; {out / 'results.json'} says so"
    print(f"parity: interrupted; {where}; no report rendered", file=sys.stderr)
    return 130
