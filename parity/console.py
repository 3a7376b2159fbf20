"""What a run says on the terminal: progress and time per part, cells, root causes, and where the full diffs are.

pytest's FAILURES section printed every diverged cell's whole diff (8,962 lines for one quick run); `parity run` and
`parity check` turn it off (`--tb=no`) and this plugin writes those texts to DIR/failures.txt instead, so the
screen holds the answer. `-v` or `--show-diffs` brings pytest's section back. Registered by parity.plugin on the
controller of a run (never in an xdist worker).
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from parity import cell_ids
from parity.layout import PARTS

FAILURES_FILE = "failures.txt"
BENCH_LOG = "bench.log"  # the benchmarks' per-op lines ([bench] ...) of a compact console
ROOT_CAUSES_SHOWN = 10


def part_of(nodeid: str) -> str | None:
    """compat, bench or faults for the suite's own items (node ids are relative to the suite's root)."""
    head = nodeid.replace("\\", "/").split("/", 1)[0]
    return head if head in PARTS else None


def compact(config) -> bool:
    """The compact console `parity run` and `parity check` ask for (pytest's --tb=no; -v or --show-diffs: full)."""
    return getattr(config.option, "tbstyle", "auto") == "no"


def bench_log(config, out: Path | None) -> Path | None:
    """Where the benchmarks' per-op lines go instead of the terminal: DIR/bench.log on a compact console."""
    return out / BENCH_LOG if out is not None and compact(config) else None


class Console:
    def __init__(self, ps, config) -> None:
        self.ps = ps
        self.config = config
        self.planned: Counter = Counter()  # part -> items selected
        self.parts: dict[str, dict[str, float]] = {}  # part -> started, ended (monotonic)
        self.current: str | None = None
        self.failures: list[tuple[str, str, str]] = []  # (nodeid, phase, pytest's text)
        self.beside_failed: list[dict[str, Any]] = []  # a part run in a process beside (parity.cli.side): its failed tests
        self.beside_text = ""  # ... and their whole texts

    # ---- progress per part -----------------------------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session, config, items) -> None:
        self.planned = Counter(p for p in (part_of(i.nodeid) for i in items) if p)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids) -> None:
        if not self.planned:  # under xdist the workers collect; every worker collects the same items
            self.planned = Counter(p for p in (part_of(i) for i in ids) if p)

    def pytest_runtest_logstart(self, nodeid, location) -> None:
        part = part_of(nodeid)
        if part is None or part == self.current:
            return
        if not self.parts:  # the run has started: a run of other savers than the guide's pair says what it tests
            self._asked()
        self._close_part()
        self.current = part
        self.parts[part] = {"started": time.monotonic(), "ended": time.monotonic()}
        planned = f" ({self.planned[part]} tests)" if self.planned.get(part) else ""
        self._line(f"parity: {part}{planned}")

    def _asked(self) -> None:
        from parity.render.opening import asked_lines, is_guide_run

        doc = {"run": {"backends": [b.describe() for b in self.ps.backends],
                       "pairs": [p.to_dict() for p in getattr(self.ps, "pairs", ())]}}
        if not is_guide_run(doc):
            self._line(f"parity: {asked_lines(doc)[0]}")

    def pytest_runtest_logfinish(self, nodeid, location) -> None:
        part = part_of(nodeid)
        if part in self.parts:
            self.parts[part]["ended"] = time.monotonic()

    def _close_part(self) -> None:
        if self.current in self.parts:
            self._line(f"parity: {self.current} took {self._seconds(self.current):.0f} s")
        self.current = None

    def _seconds(self, part: str) -> float:
        return self.parts[part]["ended"] - self.parts[part]["started"]

    def _line(self, text: str) -> None:
        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        if tr is not None:
            tr.ensure_newline()
            if getattr(tr._tw, "width_of_current_line", 0):  # after -q's progress dots and percentage
                tr._tw.line()
            tr.write_line(text)

    def beside(self, part: str, joined: dict[str, Any]) -> None:
        """A part that ran in a process beside this one (parity.cli.side): its time, tests and failures join the
        run's, and the console says so when it joins."""
        self._close_part()  # the part it ran beside has ended: its time first
        self.parts[part] = {"started": 0.0, "ended": joined["seconds"], "beside": "compat"}
        self.planned[part] = joined["tests"]
        self.beside_failed += joined["failed"]
        self.beside_text += joined["failures_text"]
        waited = f"; its timed studies waited {joined['waited_s']:.0f} s for compat to end" if joined["waited_s"] else ""
        broken = f"; it did not complete (pytest exit {joined['exit']})" if joined["kept_console"] else ""
        self._line(f"parity: {part} ({joined['tests']} tests) ran beside compat: took {joined['seconds']:.0f} s"
                   + waited + broken)

    # ---- what failed, kept whole in a file -------------------------------------------------------------------

    def pytest_runtest_logreport(self, report) -> None:
        if report.failed:
            self.failures.append((report.nodeid, report.when, report.longreprtext))

    @pytest.hookimpl(tryfirst=True)  # before parity.plugin saves the document
    def pytest_sessionfinish(self, session, exitstatus) -> None:
        self._close_part()
        run = self.ps.doc.setdefault("run", {})
        if self.parts:
            run["parts"] = {p: {"seconds": round(self._seconds(p), 1), "tests": self.planned.get(p, 0),
                                **({"beside": self.parts[p]["beside"]} if "beside" in self.parts[p] else {})}
                            for p in self.parts}
        self.ps.failed_reports = [{"id": nodeid, "phase": when, "reason": _last_line(text)}
                                  for nodeid, when, text in self.failures] + self.beside_failed
        out = self.ps.options.out
        if out is not None and (self.failures or self.beside_text):
            out.mkdir(parents=True, exist_ok=True)
            text = "".join(f"{'=' * 30} {nodeid} ({when}) {'=' * 30}\n{body}\n\n"
                           for nodeid, when, body in self.failures)
            (out / FAILURES_FILE).write_text(text + self.beside_text, encoding="utf-8")

    # ---- the summary -----------------------------------------------------------------------------------------

    def pytest_terminal_summary(self, terminalreporter, exitstatus, config) -> None:
        ps = self.ps
        if not ps.doc.get("cells") and not ps.options.out:
            return
        tr = terminalreporter
        tr.section("checkpoint-parity")
        for line in summary_lines(ps.doc, ps.options.out, ps.seed):
            tr.write_line(line)


def summary_lines(doc: dict[str, Any], out: Path | None, seed: Any) -> list[str]:
    """The run on one screen: shard, parts and their time, cells, root causes, where the rest is."""
    from parity.render.common import status_order

    run = doc.get("run") or {}
    lines = []
    if run.get("shard"):
        from parity.shard import describe

        lines.append(describe(run["shard"]))
    parts = run.get("parts") or {}
    if parts:
        lines.append("parts: " + ", ".join(f"{p} {v['seconds']:.0f} s ({v['tests']} tests"
                                           + (f", beside {v['beside']})" if v.get("beside") else ")")
                                           for p, v in parts.items()))
    counts = Counter(c.get("status") for c in doc.get("cells") or [])
    if counts:
        order = status_order(counts)
        lines.append("cells: " + ", ".join(f"{counts[s]} {s}" for s in order))
    for event in doc.get("server_events") or []:  # a server that restarted or died under the run (parity.plugin)
        saw = f"; they saw e.g. {event['saw'][0][:200]}" if event.get("saw") else ""
        spoiled = (f"{event['cells']} cells after it are harness errors, not findings{saw}" if event["cells"]
                   else "no cell's evidence was spoiled")
        lines.append(f"server event: {event['line']}: {spoiled}")
    for gap in run.get("flavour_gaps") or []:  # a flavour a saver offers that got no cell: an error of the run
        lines.append(f"ERROR: {gap}")
    for backend, why in (run.get("flavours_left_out") or {}).items():
        lines += [f"not tested: {backend} {flavour}: {text}" for flavour, text in why.items()]
    lines += root_cause_lines(doc, out)
    others = [r for r in run.get("failed_tests") or []]
    for r in others[:5]:
        lines.append(f"could not run: {r['id']} ({r['phase']}): {r['reason'].strip()[:160]}")
    if len(others) > 5:
        lines.append(f"could not run: … and {len(others) - 5} more")
    from parity.render.not_run import console_line

    if skipped := console_line(doc):
        lines.append(skipped)
    lines.append(f"seed: {seed} (replay with --parity-seed {seed})")
    if out is not None:
        if (out / BENCH_LOG).exists():
            lines.append(f"benchmark figures as they were measured: {out / BENCH_LOG}")
        if (out / FAILURES_FILE).exists():
            lines.append(f"full diffs and tracebacks: {out / FAILURES_FILE} (or rerun with --show-diffs)")
        if (out / "results.json").exists():
            lines.append(f"results: {out / 'results.json'}")
    return lines


def root_cause_lines(doc: dict[str, Any], out: Path | None) -> list[str]:
    """Findings grouped by root cause (parity.render.common.group_findings): new ones first, each with its cells."""
    from parity.render.common import group_findings

    findings = [f for f in doc.get("findings") or [] if isinstance(f, dict)]
    if not findings:
        return []
    groups = group_findings(findings)
    new = [g for g in groups if not g[0].get("known")]
    known = [g for g in groups if g[0].get("known")]
    cells = lambda gs: sum(len(g) for g in gs)  # noqa: E731
    lines = [f"root causes: {len(new)} new ({cells(new)} cells), {len(known)} known divergences ({cells(known)} cells)"]
    for group in sorted(new, key=len, reverse=True)[:ROOT_CAUSES_SHOWN]:
        f = group[0]
        rate = f" ({f['seen']}/{f['runs']} runs)" if (f.get("runs") or 1) > 1 else ""
        more = f" and {len(group) - 1} more cell(s)" if len(group) > 1 else ""
        lines.append(f"  {f.get('backend')}: {f.get('cause') or f.get('summary')}{rate}")
        lines.append(f"    in {cell_ids.of_finding(f)}{more}")
        if f.get("repro"):
            lines.append(f"    repro: {out / f['repro'] if out else f['repro']}")
    if len(new) > ROOT_CAUSES_SHOWN:
        lines.append(f"  … and {len(new) - ROOT_CAUSES_SHOWN} more root causes in the report")
    return lines


def _last_line(text: str) -> str:
    lines = [ln for ln in (text or "").strip().splitlines() if ln.strip()]
    return (lines[-1] if lines else "")[:300]
