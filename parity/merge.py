"""`parity merge`: shard and platform runs into one results document, refusing what cannot be one report.

Each run keeps its identity: every row is tagged with the run it came from and that run's platform; findings
seen on several platforms become one finding listing them; benchmark rows stay with their machine (the run
that measured them) and are never pooled; claim verdicts are computed per platform (per machine for timings)
and combined, each naming the platform that decided it (parity.claims.compute_by_source). What happens to each
section is declared in parity/sections.py (`merge`): tagged rows, or rows made again here (COMBINE).

Runs of one platform on other library versions (CI's lowest-versions job and the newest) are different evidence,
not one run twice: each keeps a platform of its own, named with the versions that differ ("Linux · CPython 3.11 ·
x86_64 · langgraph 1.0.6, ..."), so the grid has a column per versions, each claim a verdict per versions, and a
finding seen on both lists both platforms and both version sets (`findings[].versions`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from parity import platforms, results, sections, versions
from parity.errors import ParityUsageError
from parity.judging.findings import diff_key

# The same in every run merged (check refuses otherwise), so never what tells two runs' versions apart.
SAME_IN_EVERY_RUN = ("checkpoint-parity",)


@dataclass
class Source:
    """One run directory given to `parity merge`."""

    path: Path
    doc: dict[str, Any]
    raw_schema: Any
    # The library versions that set this run apart from another run on its platform (by_versions); None: none do.
    versions_apart: dict[str, str] | None = None

    @property
    def run_id(self) -> str:
        return str(self.doc["run"].get("id"))

    @property
    def platform(self) -> dict[str, Any]:
        block = platforms.of(self.doc)
        if not self.versions_apart:
            return block
        slug = "+".join(f"{k}-{v}" for k, v in self.versions_apart.items())
        return {**block, "id": f"{block['id']}+{slug}", "label": f"{block['label']} · "
                f"{versions.label(self.versions_apart)}", "versions": dict(self.versions_apart)}

    @property
    def shard(self) -> dict[str, Any] | None:
        return self.doc["run"].get("shard") or None

    @property
    def parts(self) -> list[str]:
        return [p for p, names in sections.parts().items() if any(results.rows(self.doc, s) for s in names)]

    def name(self) -> str:
        shard = f" (shard {self.shard['index']}/{self.shard['count']})" if self.shard else ""
        return f"{self.path}{shard}"


def load_sources(dirs: list[str]) -> list[Source]:
    out = []
    for given in dirs:
        path = Path(given)
        file = path / "results.json" if path.is_dir() else path
        try:
            raw = json.loads(file.read_text(encoding="utf-8")).get("schema_version")
        except (OSError, ValueError, AttributeError):
            raw = None  # results.load says what is wrong, in its own words
        out.append(Source(file.parent, results.load(file), raw))
    return out


def by_versions(sources: list[Source]) -> None:
    """Runs of one platform on other library versions each get a platform of their own (Source.versions_apart: the
    versions that differ among that platform's runs); runs of the same versions share it, as shards do."""
    groups: dict[str, list[Source]] = {}
    for s in sources:
        groups.setdefault(platforms.of(s.doc)["id"], []).append(s)
    for group in groups.values():
        sets = [{k: str(v) for k, v in (s.doc.get("versions") or {}).items()
                 if k not in SAME_IN_EVERY_RUN and v is not None} for s in group]
        names = dict.fromkeys([*versions.CORE, *(k for libs in sets for k in libs)])
        apart = [k for k in names if len({libs.get(k) for libs in sets}) > 1]
        for s, libs in zip(group, sets):
            s.versions_apart = {k: libs.get(k, "not installed") for k in apart} or None


def check(sources: list[Source], out: Path, allow_partial: bool) -> list[str]:
    """Refuse (ParityUsageError, one line) what cannot be merged; return the missing shards (allowed if partial)."""
    if not sources:
        raise ParityUsageError("parity merge needs at least one run directory", "give the DIRs of the runs to merge")
    by_versions(sources)
    _same(sources, "schema", lambda s: s.raw_schema, "re-run every part with one parity version")
    _same(sources, "suite version", lambda s: s.doc["run"].get("suite_version")
          or (s.doc.get("versions") or {}).get("checkpoint-parity"),
          "run every shard and platform from the same checkpoint-parity version")
    _same(sources, "suite commit", lambda s: s.doc["run"].get("git_commit"),
          "run every shard and platform from the same commit", ignore_missing=True)
    for s in sources:
        if s.doc["run"].get("merged"):
            raise ParityUsageError(f"{s.path} is already a merged document",
                                   "merge the original run directories instead")
        if s.path.resolve() == out.resolve():
            raise ParityUsageError(f"--out {out} is one of the runs being merged",
                                   "write the merged report to a directory of its own")
    seen: dict[str, Source] = {}
    for s in sources:
        if s.run_id in seen:
            raise ParityUsageError(f"{seen[s.run_id].path} and {s.path} are the same run ({s.run_id})",
                                   "give each run once")
        seen[s.run_id] = s
    missing = _shard_gaps(sources) + _langgraph_tests_gaps(sources)
    _no_cell_twice(sources)
    if missing and not allow_partial:
        raise ParityUsageError(f"missing shards: {', '.join(missing)}",
                               "add their run directories, or pass --allow-partial (the report then says so at the top)")
    return missing


def _same(sources: list[Source], what: str, value, fix: str, ignore_missing: bool = False) -> None:
    values = {}
    for s in sources:
        v = value(s)
        if v is None and ignore_missing:
            continue
        values.setdefault(v, s)
    if len(values) > 1:
        (a, sa), (b, sb) = list(values.items())[:2]
        raise ParityUsageError(f"runs of different {what} are not merged: {sa.path} has {a!r}, {sb.path} has {b!r}",
                               fix)


def _shard_gaps(sources: list[Source]) -> list[str]:
    """Shards grouped by platform and plan: duplicates and two plans on one platform are refused; gaps returned."""
    groups: dict[str, dict[str, dict[int, Source]]] = {}
    for s in sources:
        if not s.shard:
            continue
        pid, plan, index = s.platform["id"], str(s.shard.get("plan")), int(s.shard["index"])
        by_plan = groups.setdefault(pid, {})
        shards = by_plan.setdefault(plan, {})
        if index in shards:
            raise ParityUsageError(f"duplicate shard {index}/{s.shard['count']} on {s.platform['label']}: "
                                   f"{shards[index].path} and {s.path}", "give each shard once")
        shards[index] = s
    missing = []
    for pid, by_plan in groups.items():
        if len(by_plan) > 1:
            a, b = (next(iter(shards.values())) for shards in list(by_plan.values())[:2])
            raise ParityUsageError(f"shards on {a.platform['label']} come from two different plans ({a.path}: "
                                   f"{a.shard['plan']}, {b.path}: {b.shard['plan']})",
                                   "run every shard with the same options, parity version and --shard-durations")
        for shards in by_plan.values():
            first = next(iter(shards.values()))
            count = int(first.shard["count"])
            missing += [f"shard {k}/{count} on {first.platform['label']}" for k in range(1, count + 1)
                        if k not in shards]
    return missing


def _no_cell_twice(sources: list[Source]) -> None:
    owner: dict[tuple[str, str], Source] = {}
    for s in sources:
        for cell in results.rows(s.doc, "cells"):
            key = (s.platform["id"], str(cell.get("id")))
            if key in owner and owner[key] is not s:
                raise ParityUsageError(f"cell {key[1]} on {s.platform['label']} is in both {owner[key].path} and "
                                       f"{s.path}", "merge each cell once (not an unsharded run with its shards)")
            owner[key] = s


def merge(sources: list[Source], missing: list[str] | None = None) -> dict[str, Any]:
    """One document from checked sources; claims computed over the merged evidence by platform."""
    by_versions(sources)
    docs = [s.doc for s in sources]
    ids = sorted(s.run_id for s in sources)
    bench = [s for s in sources if "bench" in s.parts]
    doc: dict[str, Any] = {
        "schema_version": results.SCHEMA_VERSION,
        "run": {
            "id": "merged-" + hashlib.sha256("\n".join(ids).encode()).hexdigest()[:10],
            "started": min((d["run"].get("started") or "" for d in docs), default=None) or None,
            "finished": max((d["run"].get("finished") or "" for d in docs), default=None) or None,
            "git_commit": next((d["run"].get("git_commit") for d in docs if d["run"].get("git_commit")), None),
            "provider": ", ".join(sorted({str(d["run"].get("provider")) for d in docs if d["run"].get("provider")})),
            "profile": ", ".join(sorted({str(d["run"].get("profile")) for d in docs if d["run"].get("profile")})),
            "merged": True,
            "partial": {"missing": list(missing)} if missing else None,
        },
        # Timings hold for one machine: the document's machine is the benchmark run's, when there is exactly one.
        "machine": dict(bench[0].doc.get("machine") or {}) if len(bench) == 1 else {},
        "versions": _versions(docs),
        "overhead": dict(bench[0].doc.get("overhead") or {}) if len(bench) == 1 else {},
        "platforms": _platforms(sources),
        "runs": [_run_entry(s) for s in sources],
    }
    for key in ("failed_tests", "not_run_tests"):  # benchmarks and studies without a result, each named with its run
        listed = [{**r, "run": s.run_id} for s in sources for r in s.doc["run"].get(key) or [] if isinstance(r, dict)]
        if listed:
            doc["run"][key] = listed
    for section in sections.tagged_sections():  # as parity/sections.py declares (a run's history is its own)
        doc[section] = [
            {**row, "platform": row.get("platform") or s.platform["id"], "run": row.get("run") or s.run_id}
            for s in sources for row in results.rows(s.doc, section)]
    for section in sections.combined_sections():  # made from the tagged rows, in the order they are declared
        if section not in COMBINE:
            raise ValueError(f"section {section!r} is declared merge='combine' in parity/sections.py but "
                             "parity.merge.COMBINE has no function for it")
        doc[section] = COMBINE[section](sources, doc)
    lgt = [d["langgraph_tests"] for d in docs if isinstance(d.get("langgraph_tests"), dict)]
    if lgt:  # `parity langgraph-tests` shards (or runs on other savers): one section, findings derived again
        from parity.langgraph_tests.section import merge_sections

        doc["langgraph_tests"] = merge_sections(lgt)
    return doc


def _combined_findings(sources: list[Source], doc: dict[str, Any]) -> list[dict[str, Any]]:
    return _findings(sources, doc["cells"])


def _combined_claims(sources: list[Source], doc: dict[str, Any]) -> list[dict[str, Any]]:
    from parity.claims import compute_by_source
    from parity.incomplete import apply
    from parity.spoiled import evidence

    doc["claims"] = compute_by_source(evidence(doc))  # never from cells a server event spoiled
    apply(doc)  # errored cells of any run: no verdict from them, and the report says so first
    return doc["claims"]


# The sections parity/sections.py declares merge="combine": each made again from the merged evidence.
COMBINE: dict[str, Callable[[list[Source], dict[str, Any]], list[dict[str, Any]]]] = {
    "findings": _combined_findings,  # one row per finding id and summary, listing the platforms it was seen on
    "claims": _combined_claims,  # computed per platform (per machine for timings) and combined
}


def _versions(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """The library versions of the runs merged: one where every run had it, else each run's, "1.0.6 | 1.2.24"."""
    sets = [d.get("versions") or {} for d in docs]
    out: dict[str, Any] = {}
    for name in dict.fromkeys(k for v in sets for k in v):
        seen = list(dict.fromkeys(str(v[name]) for v in sets if v.get(name) is not None))
        out[name] = " | ".join(seen) or None
    return out


def _langgraph_tests_gaps(sources: list[Source]) -> list[str]:
    from parity.langgraph_tests.section import missing_shards

    shards = [sh for s in sources if isinstance(s.doc.get("langgraph_tests"), dict)
              for sh in s.doc["langgraph_tests"].get("shards") or []]
    return [f"langgraph-tests shard {k}" for k in missing_shards(shards)]


def _platforms(sources: list[Source]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for s in sources:
        seen.setdefault(s.platform["id"], s.platform)
    return list(seen.values())


def _run_entry(s: Source) -> dict[str, Any]:
    run = s.doc["run"]
    return {"id": s.run_id, "platform": s.platform["id"], "machine": dict(s.doc.get("machine") or {}),
            "shard": s.shard, "parts": s.parts, "provider": run.get("provider"), "started": run.get("started"),
            "default_loop": run.get("default_loop"),
            "finished": run.get("finished"), "path": str(s.path), "versions": dict(s.doc.get("versions") or {}),
            "overhead": dict(s.doc.get("overhead") or {})}


def _findings(sources: list[Source], cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per finding id and summary, listing the platforms it occurred on. A diff that differs only in detail
    (e.g. pytest's character markers under random ids) is kept beside the first as `other_diffs`; the same id with
    another summary on another platform is another finding, with an id of its own that its cells point to."""
    out: dict[str, dict[str, Any]] = {}
    for s in sources:
        pid = s.platform["id"]
        for f in results.rows(s.doc, "findings"):
            fid = str(f.get("id"))
            same = out.get(fid)
            if same is None:
                out[fid] = {**f, "platforms": [pid], "run": s.run_id}
            elif same.get("summary") == f.get("summary"):
                same["platforms"] = sorted(set(same["platforms"]) | {pid})
                same["versions"] = versions.merged((same.get("versions") or []) + (f.get("versions") or [])) or None
                same["seen"] = int(same.get("seen") or 0) + int(f.get("seen") or 0)
                same["runs"] = int(same.get("runs") or 0) + int(f.get("runs") or 0)
                if diff_key(same.get("diff")) != diff_key(f.get("diff")):
                    same.setdefault("other_diffs", []).append({"platform": pid, "diff": f.get("diff")})
            else:
                new_id = f"{fid}-{pid}"
                out[new_id] = {**f, "id": new_id, "platforms": [pid], "run": s.run_id}
                for c in cells:
                    if c.get("platform") == pid and fid in (c.get("finding_ids") or []):
                        c["finding_ids"] = [new_id if x == fid else x for x in c["finding_ids"]]
    return list(out.values())
