"""`parity replay --from URL`: a team's recorded threads, read-only, written through each target saver and diffed."""

from __future__ import annotations

import os
import random
import re
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from parity import results
from parity.backends.backend import SaverContext
from parity.backends.capabilities import Capability
from parity.cli import Parser
from parity.errors import ParityUsageError

RELATIVE = re.compile(r"^(\d+)\s*([mhd])$")  # --since 90m / 24h / 7d: that long before now


def parser() -> Parser:
    from parity.options import add_cli_options

    p = Parser(prog="parity replay", description="replay recorded threads from a checkpoint store (read-only) "
                                                 "into each target backend, read them back and diff")
    p.add_argument("--from", dest="source", required=True, metavar="URL",
                   help="the app's store: postgresql://... (PostgresSaver tables), redis://... (RedisSaver keys) or "
                        "sqlite:///path (SqliteSaver)")
    p.add_argument("--from-schema", metavar="SCHEMA", help="Postgres schema of the app's tables (default: search_path)")
    p.add_argument("--from-prefix", metavar="PREFIX", help="RedisSaver checkpoint_prefix of the app (default "
                   "checkpoint; its writes under PREFIX_write)")
    p.add_argument("--threads", type=int, metavar="N", help="replay a random sample of N threads (default: all)")
    p.add_argument("--since", metavar="TIME", help="only threads with a checkpoint at/after TIME: ISO 8601 "
                   "(2026-11-20, 2026-11-20T08:00Z; UTC when no zone) or 90m / 24h / 7d before now")
    p.add_argument("--seed", type=int, default=0, help="seed of the --threads sample (default 0)")
    p.add_argument("--flavour", choices=("sync", "async"), default="sync",
                   help="write and read through each target's sync saver (default) or its async one (AsyncRedisSaver, "
                        "AsyncPostgresSaver, ...), as an async app would")
    p.add_argument("--out", metavar="DIR", help="results.json and report here (default reports/replay-<run id>; "
                   "an existing results.json keeps its other sections)")
    add_cli_options(p, "replay")
    from parity.cli.outcome import add_fail_on

    add_fail_on(p)
    return p


def parse_since(value: str | None, now: datetime | None = None) -> datetime | None:
    if value is None:
        return None
    now = now or datetime.now(timezone.utc)
    if m := RELATIVE.match(value.strip()):
        unit = {"m": "minutes", "h": "hours", "d": "days"}[m.group(2)]
        return now - timedelta(**{unit: int(m.group(1))})
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ParityUsageError(f"--since {value!r} is not a time", "give ISO 8601 (2026-11-20T08:00Z) or 90m / 24h / "
                               "7d") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def main_replay(argv: list[str]) -> int:
    from parity.options import Options
    from parity.replay.sources import kind_of

    args = parser().parse_args(argv)
    kind_of(args.source)  # a URL this replay cannot read: said before anything starts
    if args.threads is not None and args.threads < 1:
        raise ParityUsageError(f"--threads {args.threads}: need at least 1", "give --threads N with N >= 1, or leave it out")
    since = parse_since(args.since)
    if args.provider is None and not os.environ.get("PARITY_PROVIDER"):
        args.provider = "embedded"  # targets are the suite's own servers unless asked otherwise
    server_config, backends = _targets(Options.from_args(args), args.flavour)
    refuse_same_store(args.source, server_config.urls, backends)
    return _run(args, since, server_config, backends)


def _targets(options, flavour: str = "sync"):
    from parity.session import selection

    api = Capability.ASYNC if flavour == "async" else Capability.SYNC
    server_config, registry, backends, _ = selection(options)
    if not options.backends:  # every backend a whole thread can be written into and read back from
        backends = [b for b in registry if b.has(api, Capability.FULL_HISTORY)]
    lacking = [b.name for b in backends if not b.has(api)]
    if lacking:
        raise ParityUsageError(f"replay --flavour {flavour} writes through the {flavour} saver API; "
                               f"{', '.join(lacking)} has none", "leave those backends out (--backend NAME for the "
                               f"others){', or use --flavour sync' if flavour == 'async' else ''}")
    return server_config, backends


def refuse_same_store(source: str, urls: dict[str, str], backends) -> None:
    """A target on the source's own storage would write into the app's database: refused before anything opens."""
    from parity.replay.store import store_of
    from parity.servers.endpoint import mask_url

    mine = store_of(source)
    for b in backends:
        url = urls.get(b.family or "")
        if url and store_of(url) == mine:
            raise ParityUsageError(f"target {b.name} ({mask_url(url)}) is the same store as the source "
                                   f"{mask_url(source)}: replay never writes to the source",
                                   f"give --{b.family}-url a different server or database, or leave it out to use "
                                   "an embedded one")


def _run(args, since, server_config, backends) -> int:
    from parity.cli.doctor import check_given_servers
    from parity.replay import async_target
    from parity.replay.replayer import TargetRun, replay_thread
    from parity.replay.section import section
    from parity.replay.sources import open_source
    from parity.servers.pool import ServerPool, Unavailable

    check_given_servers(server_config, backends)  # a target URL that does not answer: doctor's one line
    with open_source(args.source, args.from_schema, args.from_prefix) as source:
        available = source.threads(since)
        if not available:
            raise ParityUsageError(f"nothing to replay: {source.url} holds no thread"
                                   + (f" with a checkpoint since {since.isoformat()}" if since else ""),
                                   "give an earlier --since, or the store the app writes to")
        picked = sorted(random.Random(args.seed).sample(available, args.threads)) \
            if args.threads and args.threads < len(available) else available
        pool, runs, tag = ServerPool(server_config), [], uuid.uuid4().hex[:6]
        try:
            for k, backend in enumerate(backends):
                run = TargetRun(backend.name, backend.capabilities)
                runs.append(run)
                try:
                    endpoint = pool.get(backend.family) if backend.family else None
                except Unavailable as exc:
                    run.not_compared["all"] = f"no {backend.family} server: {exc}"
                    continue
                ctx = SaverContext(endpoint, f"parity_replay_{tag}_{k}")
                with (async_target.opened(backend, ctx) if args.flavour == "async"
                      else backend.saver("sync", ctx)) as target:
                    for tid in picked:
                        replay_thread(source.reader, target, run, tid)
                print(f"{backend.name} ({args.flavour}): {len(run.verified)}/{len(picked)} threads verified, {len(run.diverged)} "
                      f"diverged ({len(run.divergences)} divergences), {len(run.errored)} errors")
            servers = [ep.describe() for ep in pool.endpoints()]
        finally:
            pool.close()
        threads = {"available": len(available), "selected": len(picked), "since": since.isoformat() if since else None,
                   "sample_seed": args.seed if len(picked) < len(available) else None}
        replay = section(source.describe(), threads, runs, args.flavour)
    return _save(args, replay, servers, pool)


def _save(args, replay: dict, servers: list, pool) -> int:
    from parity.cli.report import render_dir

    out = Path(args.out) if args.out else None
    doc = results.load(out) if out and (out / "results.json").exists() else None
    if doc is None:
        doc = results.new_document(provider=pool.chosen or args.provider or "")
        doc["run"]["finished"] = datetime.now(timezone.utc).isoformat()
        doc["servers"] = servers
        out = out or Path("reports") / f"replay-{doc['run']['id']}"
    doc["replay"] = replay
    results.save(doc, out)  # validated there
    render_dir(out, doc)
    print(f"replayed {replay['threads']['selected']} of {replay['threads']['available']} threads from "
          f"{replay['source']['url']} (read-only; the source was not modified)\nreport: {(out / 'report.html').resolve()}")
    from parity.cli.outcome import decide

    return decide({"replay": replay}, args.fail_on)  # 0 whatever it found, unless --fail-on
