"""`parity langgraph-tests`: LangGraph's own checkpointer tests, from the sdist of the installed langgraph, run on the
chosen savers and on InMemorySaver in the same run; the failures only a saver has, grouped by cause."""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from parity import roles
from parity import results
from parity.backends.capabilities import Capability
from parity.cli import Parser
from parity.errors import ParityUsageError

# --quick: these files, 60 tests per saver (the full suite: 648), measured at 72 s on memory + 3 savers on 2
# busy cores (docs/langgraph-tests.md). Chosen for what they check of a saver (interrupts and resume, strict resume,
# subgraph state and its history under delta channels; two deterministic Redis causes and its has_writes race show in
# them) and to keep `make test` near a minute; the full suite is every file that takes a checkpointer.
QUICK = ("tests/test_interruption.py", "tests/test_strict_resume.py", "tests/test_delta_channel_subgraph.py")


def parser() -> Parser:
    from parity.cli.outcome import add_fail_on
    from parity.options import add_cli_options

    p = Parser(prog="parity langgraph-tests", description="run LangGraph's own checkpointer tests (from the sdist of "
               "the installed langgraph) on each chosen saver and on InMemorySaver, and report the differences")
    p.add_argument("--quick", action="store_true", help=f"only {len(QUICK)} files: {', '.join(QUICK)}")
    p.add_argument("--repeat", type=int, default=1, metavar="N", help="run the tests N times (a race shows as a "
                   "failure rate; default 1)")
    p.add_argument("-k", dest="select", metavar="EXPR", help="only tests matching this pytest -k expression")
    p.add_argument("--file", dest="files", action="append", metavar="tests/test_x.py",
                   help="only this test file of the sdist (repeatable)")
    p.add_argument("--shard", metavar="K/N", help="run shard K of N of the test files; `parity merge` joins them")
    p.add_argument("--timeout", type=float, default=180.0, metavar="SECONDS",
                   help="a test that runs longer fails as hung (default 180)")
    p.add_argument("--install-test-deps", action="store_true",
                   help="make the tests' own venv (langgraph's `test` dependency group, pinned to this environment's "
                        "versions) when it is missing, in the user cache")
    p.add_argument("--prepare", action="store_true", help="only fetch the sdist and make the tests' venv (with "
                   "--install-test-deps), run nothing: a CI step that warms the cache")
    p.add_argument("--out", metavar="DIR", help="results.json and report here (default reports/langgraph-tests-<run "
                   "id>; an existing results.json keeps its other sections)")
    add_fail_on(p)
    add_cli_options(p, "langgraph-tests")
    return p


def main_langgraph_tests(argv: list[str]) -> int:
    """Exit codes (parity.cli.outcome): 0 when the run completed, whatever it found; 1 only for --fail-on; 2 on bad
    input or when LangGraph's pytest could not complete the run; 130 on Ctrl-C."""
    from parity.langgraph_tests import sdist, testenv
    from parity.options import Options

    args = parser().parse_args(argv)
    if args.repeat < 1:
        raise ParityUsageError(f"--repeat {args.repeat}: need at least 1", "give --repeat N with N >= 1")
    if args.timeout <= 0:
        raise ParityUsageError(f"--timeout {args.timeout:g}: need more than 0 seconds", "give --timeout 180")
    shard = _shard(args.shard)
    if args.provider is None and not os.environ.get("PARITY_PROVIDER"):
        args.provider = "embedded"
    options = Options.from_args(args)
    server_config, registry, backends = _savers(options)
    version = sdist.installed_version()
    src = sdist.fetch(version)
    requirements = sdist.test_requirements(src)
    missing = testenv.missing(version, requirements)
    if missing and not args.install_test_deps:
        raise ParityUsageError(f"langgraph-tests: {missing[0]}", "run again with --install-test-deps (once per "
                               "langgraph version; about a minute or two)")
    if missing:
        testenv.create(version, requirements)
    if args.prepare:
        print(f"langgraph-tests: langgraph {version}'s tests and their venv are ready in {sdist.version_dir(version)}")
        return 0
    files = _files(src, args, shard)
    return _run(args, version, src, files, shard, server_config, registry, backends)


def _shard(value):
    from parity import shard as shard_mod

    return shard_mod.parse(value)


def _savers(options):
    """The chosen backends, through the suite's one selection: by default every saver that keeps the whole history
    (LangGraph's tests read it back), never the memory backend (InMemorySaver runs anyway, as the reference)."""
    from parity.session import selection

    server_config, registry, backends, _ = selection(options)
    if not options.backends:
        backends = [b for b in backends if b.has(Capability.FULL_HISTORY) or b.origin != "built-in"]
    backends = [b for b in backends if b.name != roles.REFERENCE]
    if not backends:
        raise ParityUsageError("langgraph-tests: no saver to test besides memory (InMemorySaver always runs, as the "
                               "reference)", "give --backend NAME or --parity-saver NAME=module:factory")
    return server_config, registry, backends


def _files(src: Path, args, shard) -> list[str]:
    from parity import shard as shard_mod
    from parity.langgraph_tests.sdist import checkpointer_files

    every = checkpointer_files(src)
    chosen = list(QUICK) if args.quick else every
    if args.files:
        unknown = [f for f in args.files if f not in every]
        if unknown:
            raise ParityUsageError(f"--file {unknown[0]}: not a test file of langgraph's sdist that takes a "
                                   "checkpointer", f"choose from {', '.join(every)}")
        chosen = [f for f in chosen if f in args.files] if args.quick else list(args.files)
    chosen = [f for f in chosen if f in every]  # a quick file a later langgraph dropped is simply not there
    if shard is not None:
        weights = {f: float((src / f).stat().st_size) for f in chosen}  # bigger files hold more tests
        plan = shard_mod.plan(chosen, shard.count, weights)
        chosen = [f for f in chosen if plan[f] == shard.index]
    if not chosen:
        raise ParityUsageError("langgraph-tests: no test file selected", "leave out --file/--shard, or choose others")
    return chosen


def _run(args, version, src, files, shard, server_config, registry, backends) -> int:
    from parity.cli import outcome
    from parity.cli.doctor import check_given_servers
    from parity.langgraph_tests import causes, runner
    from parity.langgraph_tests.section import build
    from parity.servers.pool import ServerPool, Unavailable

    check_given_servers(server_config, backends)
    out = Path(args.out) if args.out else Path("reports") / f"langgraph-tests-{results.new_document()['run']['id']}"
    work = out / "langgraph-tests"
    work.mkdir(parents=True, exist_ok=True)
    pool, not_run, flavours, urls = ServerPool(server_config), [], {}, {}
    started = time.monotonic()
    try:
        for b in backends:
            try:
                if b.family:
                    urls[b.family] = pool.get(b.family).url
                b.resolve(pool.get)
            except Unavailable as exc:
                not_run.append({"backend": b.name, "reason": f"no {b.family} server: {exc}"})
                continue
            flavours[b.name] = b.flavours()
        if not flavours:
            raise ParityUsageError("langgraph-tests: no chosen saver could be opened: "
                                   + "; ".join(n["reason"] for n in not_run), "see `parity doctor`")
        print(f"langgraph-tests: langgraph {version}, {len(files)} files, savers: memory (reference), "
              + ", ".join(f"{n} ({'/'.join(f)})" for n, f in flavours.items())
              + (f", {args.repeat} runs" if args.repeat > 1 else "") + f"; log: {work / 'pytest.log'}")
        plan = runner.Plan(version=version, source=src, files=files, flavours=flavours, savers=list(args.savers or []),
                           urls=urls, repeat=args.repeat, select=args.select, timeout_s=args.timeout, work=work)
        try:
            lines = runner.run_all(plan)
        except runner.RunFailed as exc:
            if exc.code == 5:  # pytest: nothing collected
                raise ParityUsageError(f"langgraph-tests: no test of the chosen files matches -k {args.select!r}",
                                       "give another -k expression, or leave it out") from None
            # the run did not complete, as `parity run` says it: no verdict, no report (the log says why)
            print(f"parity: langgraph-tests: the run did not complete: {exc}; no report written (fix: see "
                  f"{exc.log})", file=sys.stderr)
            return outcome.USAGE
        servers = [ep.describe() for ep in pool.endpoints()]
    finally:
        pool.close()
    rows = causes.tally(lines, [causes.MEMORY, *flavours])
    builtin = {b.name for b in backends if b.origin == "built-in"}
    saver_rows = [{"backend": b.name, "origin": b.origin, "flavours": flavours.get(b.name, [])} for b in backends]
    section = build(version=version, mode="quick" if args.quick else "full", files=files, repeat=args.repeat,
                    shard={"index": shard.index, "count": shard.count} if shard else None, rows=rows,
                    backends=saver_rows, not_run=not_run, seconds=time.monotonic() - started, builtin=builtin)
    _save(out, section, servers, pool)
    return outcome.report(outcome.langgraph_tests_matched(section, args.fail_on))


def _save(out: Path, section: dict, servers: list, pool) -> None:
    from parity.cli.report import render_dir
    from parity.langgraph_tests.summary import lines

    doc = results.load(out) if (out / "results.json").exists() else None
    if doc is None:
        doc = results.new_document(provider=pool.chosen or "")
        doc["run"]["finished"] = datetime.now(timezone.utc).isoformat()
        doc["servers"] = servers
    doc["langgraph_tests"] = section
    results.save(doc, out)  # validated there
    render_dir(out, doc)
    for line in lines(section):
        print(line)
    print(f"report: {(out / 'report.html').resolve()}")
