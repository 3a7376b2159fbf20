"""The results document's sections, declared once: every list of sections is read from SECTIONS when it is used.

A section is a top-level key of results.json that a part of the suite (or a command) writes: a list of rows or one
object. The document's own blocks (schema_version, run, platform, platforms, runs, machine, versions) are not
sections; they are written by parity.results and parity.merge and described in parity/schema/results.schema.json.

From this one table come: the sections a new document starts with (`parity.results.new_document`), the sections an
xdist part concatenates, what `parity merge` does with each (tags and concatenates its rows, or combines them again:
`parity.merge.COMBINE`), the sections of each part (compat, bench, faults), the rows that say which provider their
server came from (`ParitySession.add`), the rows a merged report shows per machine and the report.html sections
drawn once per machine (`parity.render.merged`), and the schema's top-level properties and required list
(`parity.results_schema.schema`).
Adding a section is one row here (and, if its rows have a fixed shape, a `$defs` entry in the schema file named by
`shape`). A team's own section goes under `extensions` (the `pytest_parity_update_json` hook, parity/hooks.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Section:
    """One top-level section of results.json."""

    name: str
    text: str  # what it holds, one line (the schema's description)
    rows: bool = True  # a list of rows (parts append to it, merges concatenate it); False: one object
    shape: str | None = None  # the schema's $defs entry each row (or the object) follows; None: any object
    part: str | None = None  # the part of the suite that writes it (compat, bench, faults); None: the run, a command
    empty: bool = False  # every document has it, empty when nothing wrote to it (new_document writes it)
    required: bool | None = None  # the schema requires it (default: when `empty`; False for sections added to
    #                               schema version 2 later, which documents written before lack)
    figures: bool = False  # timings or counts: each row says which provider its server came from (a container adds
    #                        a layer)
    per_machine: bool = False  # a merged report shows its rows per machine (run), never pooled across machines
    merge: str = "tag"  # what `parity merge` does with its rows: "tag" (each tagged with its platform and run, then
    #                     concatenated), "combine" (made again from the merged evidence by parity.merge.COMBINE), "own"
    #                     (a run's own, not merged)
    report: str | None = None  # the report.html section that shows it (its id); a merged report of several machines
    #                            draws that section once per machine when every section it shows is per_machine

    def schema(self) -> dict[str, Any]:
        """The section's entry in the schema's top-level properties."""
        one = {"$ref": f"#/$defs/{self.shape}"} if self.shape else {"type": "object"}
        body = {"type": "array", "items": one} if self.rows else one
        return {**body, "description": self.text}

    def __post_init__(self) -> None:
        if self.merge not in MERGES:
            raise ValueError(f"section {self.name!r}: merge must be one of {MERGES}, got {self.merge!r}")

    @property
    def is_required(self) -> bool:
        return self.empty if self.required is None else self.required


MERGES = ("tag", "combine", "own")


def _bench(name: str, text: str, shape: str | None, report: str | None, empty: bool = True,
           required: bool | None = None, figures: bool = True) -> Section:
    return Section(name, text, shape=shape, part="bench", empty=empty, required=required, figures=figures,
                   per_machine=True, report=report)


SECTIONS: tuple[Section, ...] = (
    Section("servers", "the run's servers: family, provider, version, masked URL, settings (or why unavailable)",
            shape="server", empty=True, report="servers"),
    Section("server_events", "what happened to the run's own servers while it ran (parity/servers/watch.py): a "
            "death, a restart, a stall, with the cells each spoiled (parity/spoiled.py)", shape="server_event_row",
            empty=True, required=False, report="servers"),
    Section("cells", "one compat test on one backend × flavour × loop each (parity.plugin.Cell)", shape="cell",
            part="compat", empty=True, report="compat"),
    Section("findings", "what the compat cells found different from the reference, one row per finding (merged: one "
            "per finding id and summary, listing the platforms it was seen on)", shape="finding", empty=True,
            merge="combine", report="findings"),
    Section("conformance", "langgraph-checkpoint-conformance on each saver (parity/judging/conformance.py)",
            shape="conformance", part="compat", empty=True, report="conformance"),
    Section("workloads", "a team's own graph and step script, judged like the built-in scenarios (parity/workloads/)",
            shape="workload", part="compat", empty=True, per_machine=True, report="workloads"),
    _bench("measurements", "timed saver operations per backend (parity/measuring/)", "measurement", "latency"),
    _bench("ratios", "speed-up ratios between two backends with their confidence intervals", "ratio", "speed"),
    _bench("floors", "the driver's bare round trip per server family and the harness's empty call "
           "(parity/measuring/floors.py)", "floor", "floors"),
    _bench("growth", "how cost grows with history length, threads, state size and concurrency", "growth", "growth"),
    _bench("footprint", "per op: commands, wire bytes, server CPU, bytes stored (parity/measuring/network.py)",
           "footprint", "footprint"),
    _bench("network", "what-if network distance through DelayProxy (parity/measuring/network.py)", "network", "network"),
    _bench("workload_timings", "a team's own workload timed per backend", "workload_timing", "workloads"),
    _bench("provider_cost", "what a container adds: bare round trips to container servers against embedded ones "
           "(bench/test_provider_cost.py)", "provider_cost", "servers", empty=False),
    _bench("shadow_cost", "the app's op through ShadowSaver over the bare primary, arms interleaved in one run "
           "(parity/measuring/shadow_cost.py)", "shadow_cost", "shadow-cost", empty=False),
    _bench("noise", "the machine's own noise during the benchmarks: load, CPU steal, clock, the disk's fsync "
           "(parity/measuring/noise.py)", "noise", None, required=False, figures=False),
    Section("durability", "acknowledged checkpoints lost and threads unresumable after SIGKILL and SIGTERM, per "
            "persistence setting (faults/test_durability.py)", shape="durability", part="faults", empty=True,
            report="durability"),
    Section("outages", "a server stopped mid-run, a stalled network: the error, time to fail, recovery "
            "(faults/test_outages.py)", shape="observation", part="faults", empty=True, report="faults"),
    Section("faults", "the fault studies' observations, each naming its claim (parity/injecting/claims.py)",
            shape="observation", part="faults", empty=True, report="faults"),
    Section("shadow_faults", "ShadowSaver while its candidate server is stalled and killed "
            "(parity/injecting/shadow_faults.py)", shape="shadow_fault", part="faults", figures=True,
            report="shadow-cost"),
    Section("claims", "a verdict for every declared claim (parity/verdicts.py CLAIM_TABLE)", shape="claim",
            empty=True, merge="combine", report="claims"),
    Section("history", "the trend: this machine's runs' ratios from the run history (parity/history.py); a run's "
            "own, never merged", shape="trend_point", merge="own", report="trend"),
    Section("overhead", "the harness's own cost, how well the put ratio measured twice agrees, CPU placement's "
            "spread (parity/finish.py)", rows=False, shape="overhead", empty=True, required=False, per_machine=True,
            report="floors"),
    Section("repeatability", "how far the headline ratios moved between this run's repeats, against the target",
            rows=False, shape="repeatability"),
    Section("shadow", "ShadowSaver recordings summed by `parity shadow summarize`", rows=False, shape="shadow", report="shadow"),
    Section("replay", "`parity replay --from URL`: threads written through each target saver, read back, diffed",
            rows=False, shape="replay", report="replay"),
    Section("langgraph_tests", "`parity langgraph-tests`: LangGraph's own checkpointer tests on each saver",
            rows=False, shape="langgraph_tests", report="langgraph-tests"),
    Section("calibration", "`parity calibrate`: what compare detects on this runner", rows=False,
            shape="calibration", report="calibration"),
    Section("service", "the service part: the workload behind an app per backend at fixed arrival rates",
            rows=False, shape="service", report="service"),
    Section("extensions", "a team's own sections, by name, added before the save by a `pytest_parity_update_json` "
            "hook (parity/hooks.py); any JSON, kept as written and not merged", rows=False),
)


def declared() -> tuple[Section, ...]:
    return SECTIONS


def names() -> list[str]:
    return [s.name for s in SECTIONS]


def row_sections() -> tuple[str, ...]:
    """Every section of rows: an xdist part's rows are appended to the controller's, section by section."""
    return tuple(s.name for s in SECTIONS if s.rows)


def empty_sections() -> tuple[str, ...]:
    """The sections every document has, empty or not (new_document writes them: [] or {})."""
    return tuple(s.name for s in SECTIONS if s.empty)


def tagged_sections() -> tuple[str, ...]:
    """The sections of rows `parity merge` tags with their platform and run and concatenates."""
    return tuple(s.name for s in SECTIONS if s.rows and s.merge == "tag")


def combined_sections() -> tuple[str, ...]:
    """The sections of rows `parity merge` makes again from the merged evidence (parity.merge.COMBINE), in order."""
    return tuple(s.name for s in SECTIONS if s.rows and s.merge == "combine")


def parts() -> dict[str, tuple[str, ...]]:
    """{part: its sections}: which part of the suite wrote a document's rows (merge, compare, per-source claims)."""
    out: dict[str, tuple[str, ...]] = {}
    for s in SECTIONS:
        if s.part:
            out[s.part] = out.get(s.part, ()) + (s.name,)
    return out


def of_part(part: str) -> tuple[str, ...]:
    return parts().get(part, ())


def figures() -> tuple[str, ...]:
    """Sections of timings and counts: each row says which provider its server came from."""
    return tuple(s.name for s in SECTIONS if s.figures)


def per_machine() -> tuple[str, ...]:
    """Sections a merged report shows per machine (never pooled across machines)."""
    return tuple(s.name for s in SECTIONS if s.per_machine)


def shown_in(report: str) -> tuple[str, ...]:
    """The sections a report.html section shows."""
    return tuple(s.name for s in SECTIONS if s.report == report)


def per_machine_reports() -> tuple[str, ...]:
    """The report.html sections a merged report of several machines draws once per machine: those whose every
    section is per_machine (a section that also shows pooled rows, e.g. the servers, is drawn once)."""
    reports = dict.fromkeys(s.report for s in SECTIONS if s.report)
    return tuple(r for r in reports if all(s.per_machine for s in SECTIONS if s.report == r))
