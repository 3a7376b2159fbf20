"""`parity shadow summarize DIR [--out RUN_DIR]`: a ShadowSaver recording's JSON lines into results.json's `shadow` section."""

from __future__ import annotations

from pathlib import Path

from parity import results
from parity.cli import Parser
from parity.shadow.summary import dropped, read_lines, section


def main_shadow(argv: list[str]) -> int:
    p = Parser(prog="parity shadow", description="summarise ShadowSaver recordings")
    sub = p.add_subparsers(dest="action", required=True, parser_class=Parser)
    s = sub.add_parser("summarize", help="write the `shadow` section of results.json from DIR/shadow-*.jsonl")
    s.add_argument("dir", metavar="DIR", help="the out_dir given to ShadowSaver")
    s.add_argument("--out", metavar="RUN_DIR", help="results.json to add the section to (default: DIR; created "
                   "when missing, an existing one keeps its other sections)")
    args = p.parse_args(argv)
    shadow = section(read_lines(Path(args.dir)))
    out = Path(args.out or args.dir)
    doc = results.load(out) if (out / "results.json").exists() else results.new_document()
    doc["shadow"] = shadow
    path = results.save(doc, out)  # validated there
    c = shadow["counts"]
    print(f"shadow: {c.get('reads_compared', 0)} reads compared, {shadow['divergences']} divergences, "
          f"{dropped(shadow)} mirrored writes dropped "
          f"({shadow['unreliable_threads']} threads unreliable)\nresults: {path}")
    return 0
