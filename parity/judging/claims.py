"""Claims C4, C5 and C12 from the compat cells and conformance rows of the results document (nothing else)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from parity import roles
from parity.verdicts import claim

DIVERGED = {"diverged", "known-divergence"}
RAN = {"passed"} | DIVERGED  # the scenario ran to its end; a divergence is a C12 matter, not a loop failure
BROKE = {"failed", "error"}
# The roles each claim reads cells of (parity.roles): a server event spoils a claim only through the cells it reads
# (parity.incomplete), so a dead incumbent server leaves C5, a claim about the candidate's async client alone, to the
# candidate's cells.
ROLES_READ = {"C4": ("incumbent", "candidate"), "C5": ("candidate",), "C12": ("incumbent", "candidate")}


def verdicts(doc: dict[str, Any]) -> list[dict[str, Any]]:
    cells = [c for c in doc.get("cells", []) if c.get("id", "").startswith("compat/")]
    pairs = roles.of(doc)
    return [roles.judged(row, pairs) for row in (c12(cells, doc.get("conformance", []), pairs), c4(cells, pairs),
                                                 c5(cells, default_loop(doc), pairs))]


def default_loop(doc: dict[str, Any]) -> str | None:
    """The loop async cells get by default: the run's, or for merged evidence of one platform its runs' one."""
    given = (doc.get("run") or {}).get("default_loop")
    merged = {r.get("default_loop") for r in doc.get("runs") or [] if r.get("default_loop")}
    return given or (merged.pop() if len(merged) == 1 else None)


def _key(cell: dict[str, Any]) -> tuple:
    return (cell["scenario"], cell.get("workload"), cell["flavour"], cell["loop"])


def _label(key: tuple, status: str | None = None) -> str:
    loop = f"-{key[3]}" if key[2] == "async" else ""
    return f"{key[0]}[{key[2]}{loop}]" + (f" ({status})" if status else "")


def _pair_differences(cells, old: str, new: str) -> tuple[list[str], list[str], list[str], int]:
    """(only-new differs, only-old differs, both differ, compared) over cells both backends ran.

    A cell that failed or errored on one side only is a difference of that side (labelled with its status): a
    scenario that breaks on one backend does not behave the same. A cell broken on both sides counts in "both".
    """
    by = {b: {_key(c): c for c in cells if c["backend"] == b} for b in (old, new)}
    only_new, only_old, both, compared = [], [], [], 0
    for key in sorted(set(by[old]) & set(by[new]), key=str):
        a, b = by[old][key]["status"], by[new][key]["status"]
        if a not in RAN | BROKE or b not in RAN | BROKE:
            continue  # not applicable on a side: nothing to compare
        compared += 1
        if a == "passed" and b != "passed":
            only_new.append(_label(key, b if b in BROKE else None))
        elif b == "passed" and a != "passed":
            only_old.append(_label(key, a if a in BROKE else None))
        elif a != "passed" and b != "passed":
            both.append(_label(key, f"{old} {a}, {new} {b}" if BROKE & {a, b} else None))
    return only_new, only_old, both, compared


def _conformance_differences(rows, old: str, new: str) -> tuple[list[str], int]:
    """(differences, capabilities compared) of the conformance rows both backends have."""
    status = {(r["backend"], r["flavour"], r.get("loop"), r["capability"]): r["status"] for r in rows}
    out, compared = [], 0
    for (backend, flavour, loop, cap), st in sorted(status.items(), key=str):
        if backend != new:
            continue
        before = status.get((old, flavour, loop, cap))
        if before is None:
            continue
        compared += 1
        if before != st:
            out.append(f"conformance {cap} [{flavour}{'-' + loop if loop else ''}]: {old} {before}, {new} {st}")
    return out, compared


def c12(cells, conformance, pairs=roles.DEFAULT) -> dict[str, Any]:
    """The first pair is the one the claim is about (the guide's full savers); the others can only qualify it."""
    FULL = (pairs[0].incumbent, pairs[0].candidate)
    evidence, refuting, mild, summaries = [], [], [], {}
    for old, new in ((p.incumbent, p.candidate) for p in pairs):
        only_new, only_old, both, compared = _pair_differences(cells, old, new)
        conf, conf_compared = _conformance_differences(conformance, old, new)
        if not compared and not conf_compared:
            continue
        summaries[(old, new)] = (f"{old} -> {new}: {compared} cells and {conf_compared} conformance capabilities "
                                 f"compared; {len(only_new)} differ only on {new}, {len(only_old)} only on {old}, "
                                 f"{len(both)} on both; {len(conf)} conformance differences")
        evidence.append({"pair": f"{old}->{new}", "summary": summaries[(old, new)], "only_new": only_new,
                         "only_old": only_old, "both": both, "conformance": conf,
                         "cells_compared": compared, "conformance_compared": conf_compared})
        (refuting if (old, new) == FULL else mild).extend(only_new + only_old + conf)
    if not summaries:
        return claim("C12", "not-testable-here", "no compat cells of both backends of a pair ran side by side in this "
                     f"run ({roles.said(pairs)})")
    full = summaries.get(FULL)
    if full is None:
        shallow = "; ".join(summaries.values())
        if mild:
            return claim("C12", "partly", f"the first pair ({FULL[0]} -> {FULL[1]}) was not compared; "
                         f"{shallow}; e.g. {mild[0]}", evidence)
        return claim("C12", "not-testable-here", f"the first pair ({FULL[0]} -> {FULL[1]}) was not compared; "
                     f"only {shallow}", evidence)
    if refuting:
        scenarios = sorted({r.split("[")[0] for r in refuting if not r.startswith("conformance ")})
        conf = [r for r in refuting if r.startswith("conformance ")]
        broke = [r for r in refuting if r.endswith(("(failed)", "(error)"))]
        return claim("C12", "refuted", f"{len(refuting) - len(conf)} cells in {len(scenarios)} scenarios behave "
                     f"differently on {FULL[1]} than on {FULL[0]} ({len(broke)} of them failed on one side "
                     f"only): {', '.join(scenarios[:8])}{' ...' if len(scenarios) > 8 else ''}; {len(conf)} "
                     f"conformance capability differences [{full}]", evidence)
    if mild:
        return claim("C12", "partly", f"the first pair agrees [{full}]; another pair differs in {len(mild)} cells, "
                     f"e.g. {mild[0]}", evidence)
    return claim("C12", "confirmed", "every scenario and conformance capability that ran on both behaves the same "
                 f"on {FULL[1]} as on {FULL[0]} [{full}]", evidence)


def _async_by_role_loop(cells, pairs) -> dict[tuple[str, str], Counter]:
    """Async cell statuses per (role, loop): "candidate" counts every pair's candidate backends, "incumbent" theirs."""
    out: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for c in cells:
        if c["flavour"] != "async":
            continue
        for role in sorted(roles.role_of(pairs, c["backend"])):
            out[(role, c["loop"])][c["status"]] += 1
    return out


def _runs(counter: Counter) -> str:
    return ", ".join(f"{n} {s}" for s, n in sorted(counter.items()))


def _ran(counter: Counter) -> bool | None:
    """True: every applicable cell ran; False: some broke; None: nothing applicable ran under that loop."""
    if sum(counter[s] for s in RAN | BROKE) == 0:
        return None
    return not any(counter[s] for s in BROKE)


def c4(cells, pairs=roles.DEFAULT) -> dict[str, Any]:
    """The guide: the candidate's async client (redis.asyncio) works under Proactor and Selector; the incumbent's
    (async psycopg) fails under Proactor and needs Selector. Judged by role for whatever pair was asked."""
    stats = _async_by_role_loop(cells, pairs)
    cand, inc = "/".join(roles.candidates(pairs)), "/".join(roles.incumbents(pairs))
    name = {"candidate": cand, "incumbent": inc}
    ev = [{"role": r, "backends": name[r], "loop": lp, "cells": dict(c)} for (r, lp), c in sorted(stats.items())]
    sel_cand, sel_inc = _ran(stats.get(("candidate", "selector"), Counter())), _ran(stats.get(("incumbent", "selector"), Counter()))
    pro_cand, pro_inc = _ran(stats.get(("candidate", "proactor"), Counter())), _ran(stats.get(("incumbent", "proactor"), Counter()))
    if sel_cand is False or pro_cand is False:
        return claim("C4", "refuted", f"{cand} async cells broke under "
                     + ("SelectorEventLoop" if sel_cand is False else "ProactorEventLoop"), ev)
    selector_half = (f"Selector half tested: {cand} async {_runs(stats.get(('candidate', 'selector'), Counter()))}; "
                     f"{inc} async {_runs(stats.get(('incumbent', 'selector'), Counter()))}")
    if pro_cand is None or pro_inc is None:
        na = [c.get("reason", "") for c in cells if c["loop"] == "proactor" and c["status"] == "not-applicable"]
        why = na[0].split(";")[0] if na else "no proactor cells in this run"
        if sel_cand is None and sel_inc is None:
            return claim("C4", "not-testable-here", f"no async {cand}/{inc} cells ran; proactor: {why}", ev)
        return claim("C4", "not-testable-here", f"{selector_half} (both work under Selector, consistent with the "
                     f"claim); Proactor half not tested: {why}", ev)
    verdict = "confirmed" if pro_cand and pro_inc is False and sel_inc else "refuted"
    return claim("C4", verdict, f"{selector_half}; Proactor: {cand} {_runs(stats[('candidate', 'proactor')])}, "
                 f"{inc} {_runs(stats[('incumbent', 'proactor')])}", ev)


def c5(cells, default: str | None = None, pairs=roles.DEFAULT) -> dict[str, Any]:
    """The candidate's async scenarios pass under the platform's default loop with no policy set."""
    # A document from before sync cells ran without a loop names the default loop on its sync cells only.
    sync_loops = {c["loop"] for c in cells if c["flavour"] == "sync"} - {None}
    default = default or (sync_loops.pop() if len(sync_loops) == 1 else None)
    if default is None:
        return claim("C5", "not-testable-here", "the default event loop of the run is unknown")
    cand = roles.candidates(pairs)
    stats = _async_by_role_loop(cells, pairs).get(("candidate", default), Counter())
    ran = _ran(stats)
    who = "/".join(cand)
    ev = [{"default_loop": default, "candidate_async_cells": dict(stats), "candidates": cand}]
    if ran is None:
        return claim("C5", "not-testable-here", f"no {who} async cell ran under the default loop ({default})", ev)
    if not ran:
        broke = [c["id"] for c in cells if c["flavour"] == "async" and c["loop"] == default
                 and c["backend"] in cand and c["status"] in BROKE]
        return claim("C5", "refuted", f"{len(broke)} {who} async cells failed under the default loop {default} "
                     f"with no policy set, e.g. {broke[0]}", ev + [{"failed": broke}])
    return claim("C5", "confirmed", f"every {who} async scenario ran under the platform's default loop ({default}) "
                 f"with no event-loop policy set ({_runs(stats)}; divergences are C12's); on this platform only — "
                 "the Windows default (Proactor) is where policy code matters", ev)
