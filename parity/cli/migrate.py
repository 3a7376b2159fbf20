"""`parity migrate --from URL --to URL [--thread ID ...]`: copy threads between production savers, verify, report."""

from __future__ import annotations

import argparse
import sys

from parity import families
from parity.errors import ParityUsageError
from parity.injecting.migrate import copy_savers


def saver_for_url(url: str, scope: str | None):
    """The full saver for a URL in its production namespace: default prefix / public schema, or `scope`."""
    return families.get(families.of_url(url)).production_saver(url, scope)


def main_migrate(argv: list[str] | None = None) -> int:
    """`parity migrate --from URL --to URL [--thread ID ...]`: copy, verify, print one line per thread."""
    ap = argparse.ArgumentParser(prog="parity migrate", description="copy LangGraph threads between savers")
    ap.add_argument("--from", dest="src", required=True, help="redis://... or postgresql://...")
    ap.add_argument("--to", dest="dst", required=True, help="redis://... or postgresql://...")
    ap.add_argument("--thread", action="append", default=[], help="thread id to copy (repeatable; default all)")
    for side in ("from", "to"):
        ap.add_argument(f"--{side}-prefix", f"--{side}-schema", dest=f"{side}_scope", default=None,
                        help=f"Redis key prefix / Postgres schema of the {side} side (default: production)")
    args = ap.parse_args(argv)
    if (args.src, args.from_scope) == (args.dst, args.to_scope):
        raise ParityUsageError("--from and --to name the same storage", "give a different URL, prefix or schema")
    for flag, url in (("--from", args.src), ("--to", args.dst)):  # one clear line instead of a traceback
        families.probe(families.of_url(url), url, flag)
    with saver_for_url(args.src, args.from_scope) as src, saver_for_url(args.dst, args.to_scope) as dst:
        report = copy_savers(src, dst, args.thread or None)
    for tid, row in report["threads"].items():
        print(f"{tid}: {row['checkpoints']} checkpoints, {row['writes']} writes, "
              f"{'verified' if row['verified'] else 'DIFFERS'}")
    for warning in report["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{report['verified']}/{report['copied']} threads copied and verified; the source was not modified")
    return 0 if report["verified"] == report["copied"] else 1
