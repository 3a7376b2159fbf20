"""`parity merge DIR... --out DIR`: shard and platform runs into one results.json and its report."""

from __future__ import annotations

from pathlib import Path

from parity import results
from parity.cli import Parser
from parity.cli.report import render_dir
from parity.merge import check, load_sources, merge


def main_merge(argv: list[str]) -> int:
    p = Parser(prog="parity merge", description="merge shard and platform runs into one results.json and report")
    p.add_argument("dirs", nargs="+", metavar="DIR", help="run directories (each with results.json)")
    p.add_argument("--out", required=True, metavar="DIR", help="where the merged results.json and report go")
    p.add_argument("--allow-partial", action="store_true",
                   help="merge even when shards are missing; the report states which at the top")
    args = p.parse_args(argv)
    out = Path(args.out)
    sources = load_sources(args.dirs)
    missing = check(sources, out, args.allow_partial)
    doc = merge(sources, missing)
    results.save(doc, out)  # validated there
    render_dir(out, doc)
    labels = ", ".join(b["label"] for b in doc["platforms"])
    print(f"merged {len(sources)} runs ({labels}): {len(doc['cells'])} cells, {len(doc['findings'])} findings")
    if missing:
        print(f"PARTIAL: missing {', '.join(missing)}")
    print(f"results: {out / 'results.json'}\nreport: {(out / 'report.html').resolve()}")
    return 0
