"""Verdicts for C1, C2, C3, C6, C11, C13 computed from the results document only; the overhead figure."""

from __future__ import annotations

from typing import Any

from parity import roles
from parity.measuring.repeatability import combined_ratios
from parity.verdicts import band, band_verdict, claim, combine, near_edge

DEFAULTS = "defaults"
WHY_DEFAULTS = ("pairing 'defaults': the guide's 'memory vs disk' argument compares both servers as deployed "
                "out of the box, with client and servers on separate CPUs (pinned where the suite may, as an app and "
                "its store do not share a core in production); beside it the same servers on one CPU and where the "
                "scheduler puts them, and the matched-durability pairings")


def _fmt(x: float) -> str:
    return f"{x:.2f}" if x < 10 else f"{x:.0f}"


def _ratio_claim(doc: dict, cid: str, kind: str, what: str) -> dict:
    # Each ratio once, its repeats folded: the headline median and the hull of the repeats' CIs (see combined_ratios).
    pairs = roles.of(doc)
    wanted = {(p.incumbent, p.candidate) for p in pairs}
    rows = [r for r in combined_ratios(doc) if r.get("op_kind") == kind
            and (r.get("numerator"), r.get("denominator")) in wanted]
    if not rows:
        return roles.judged(claim(cid, "not-testable-here", f"no {what} ratio measured in this run (needs both "
                                  f"backends of a pair: {roles.said(pairs)})"), pairs)
    pairs = [p for p in pairs if any((r["numerator"], r["denominator"]) == (p.incumbent, p.candidate) for r in rows)]
    pairing = DEFAULTS if any(r["pairing"] == DEFAULTS for r in rows) else rows[0]["pairing"]
    lo, hi = band(cid)
    main = [r for r in rows if r["pairing"] == pairing]
    margin = between_runs(doc)
    verdicts = [band_verdict(r["ci_low"], r["ci_high"], lo, hi, margin) for r in main]
    edges = sorted({e for r in main if (e := near_edge(r["ci_low"], r["ci_high"], lo, hi, margin)) is not None})
    inside = sum(v == "confirmed" for v in verdicts)
    below = sum(r["ci_high"] < lo for r in main)
    meds = sorted(r["median"] for r in main)
    others = []
    for p in sorted({r["pairing"] for r in rows} - {pairing}):
        m = sorted(r["median"] for r in rows if r["pairing"] == p)
        others.append(f"{p.split(':')[0]} {_fmt(m[0])}–{_fmt(m[-1])}x")
    why = WHY_DEFAULTS if pairing == DEFAULTS else f"pairing '{pairing}' (defaults not measured)"
    rep = doc.get("repeatability") or {}
    if rep.get("headline"):  # derived before the claims (parity.finish): the run's own repeat figure
        why += (f"; this run's headline ratios moved up to {rep['worst']['spread']:.0%} between its repeats "
                f"(target ±{rep['target']:.0%})")
    n_near = sum(near_edge(r["ci_low"], r["ci_high"], lo, hi, margin) is not None for r in main)
    near = (f"; {n_near} CI(s) "
            f"within ±{margin:.0%} of the band edge {' and '.join(f'{e:g}x' for e in edges)} (what this run's figures "
            "move between runs): partly, so the next run's noise cannot turn the verdict over") if edges else ""
    reason = (f"{roles.ratio_said(pairs)} {what} medians {_fmt(meds[0])}–{_fmt(meds[-1])}x over {len(main)} op/flavour/loop rows; "
              f"CI inside {lo:g}–{hi:g}x in {inside}, wholly below in {below}{near}; {why}"
              + (f" ({'; '.join(others)})" if others else ""))
    evidence = [f"ratios: {r['op']}[{r['payload']}] {r['flavour']}/{r.get('loop') or '-'} {r['numerator']}/{r['denominator']} "
                f"{_fmt(r['median'])} [{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}] {r['pairing']}" + _over(r) for r in main]
    return roles.judged(claim(cid, combine(verdicts), reason, evidence), pairs)


def between_runs(doc: dict) -> float:
    """How far this run's figures may move in the next run of the same code, by its own account: its repeatability
    target, or the larger uncertainty it measured (parity.measuring.repeatability); 0 for documents without one."""
    rep = doc.get("repeatability") or {}
    values = [v for v in (rep.get("target"), rep.get("uncertainty")) if isinstance(v, (int, float))]
    return max(values, default=0.0)


def _over(r: dict) -> str:
    """How a folded ratio row was made, for its evidence line."""
    if not r.get("repeats"):
        return ""
    procs = f" and {r['processes']} fresh processes" if r.get("processes") else ""
    return (f" (median over {r['repeats']} repeats{procs}: {', '.join(_fmt(m) for m in r['repeat_medians'])}; "
            "interval = hull of their CIs)")


def c1(doc: dict) -> dict:
    return _ratio_claim(doc, "C1", "write", "write")


def c2(doc: dict) -> dict:
    return _ratio_claim(doc, "C2", "read", "read")


def c3(doc: dict) -> dict:
    """Absolute p50 per saver op (graph steps excluded: one is several saver calls), defaults pairing."""
    rows = [m for m in doc.get("measurements", []) if m.get("pairing") == DEFAULTS and m.get("p50_ms") is not None
            and m.get("op_kind") in ("write", "read", "delete") and m.get("repeat", 1) == 1]
    parts, verdicts, evidence = [], [], []
    pairs = roles.of(doc)
    # The guide's bands by role: the candidate's (Redis, < 1 ms) and the incumbent's (Postgres, 1-10 ms).
    for role, names in (("candidate", roles.candidates(pairs)), ("incumbent", roles.incumbents(pairs))):
        claimed = band("C3", role)
        fam = [m for m in rows if m.get("backend") in names]
        if not fam:
            continue
        family = "/".join(names)
        vs = [band_verdict(m.get("ci_low_ms", m["p50_ms"]), m.get("ci_high_ms", m["p50_ms"]), *claimed,
                           between_runs(doc)) for m in fam]
        verdicts.append(combine(vs))
        p50s = sorted(m["p50_ms"] for m in fam)
        near = sum(near_edge(m.get("ci_low_ms", m["p50_ms"]), m.get("ci_high_ms", m["p50_ms"]), *claimed,
                             between_runs(doc)) is not None for m in fam)
        parts.append(f"{family} p50 {p50s[0]:.3f}–{p50s[-1]:.3f} ms, {sum(v == 'confirmed' for v in vs)}/{len(vs)} "
                     f"inside {claimed[0]:g}–{claimed[1]:g} ms" + (f" ({near} within ±{between_runs(doc):.0%} of an "
                                                                    "edge: partly)" if near else ""))
        evidence += [f"measurements: {m['backend']} {m['op']}[{m['payload']}] {m['flavour']}/{m.get('loop') or '-'} "
                     f"p50 {m['p50_ms']:.3f} p99 {m['p99_ms']:.3f} ms" for m in fam]
    if not verdicts:
        return roles.judged(claim("C3", "not-testable-here", "no latency of a pair's backend measured in this run "
                                  f"({roles.said(pairs)})"), pairs)
    spread = placement_spread(doc)
    note = (f"; a bare round trip across two CPUs took {spread} the same-CPU one, so where the scheduler puts "
            "client and server moves every absolute figure") if spread else ""
    return roles.judged(claim("C3", combine(verdicts), "; ".join(parts) + " (this machine only, loopback, server "
                              "defaults)" + note, evidence + [f"floors: {f['backend']} {f['what']}: p50 "
                                                               f"{f['p50_ms']:.3f} ms" for f in doc.get("floors", [])
                                                               if f.get("placement")]), pairs)


def placement_spread(doc: dict) -> str:
    """"4.5x (redis), 6.0x (postgres)": cross-CPU over same-CPU round trip per server family of the pairs (candidates
    first), from the placement floors (named by family)."""
    by = {(f["backend"], f["placement"]): f["p50_ms"] for f in doc.get("floors", []) if f.get("placement")}
    pairs = roles.of(doc)
    names = roles.candidates(pairs) + roles.incumbents(pairs)
    fams = list(dict.fromkeys(f for f in (roles.family_of(doc, n) for n in names) if f))
    parts = [f"{by[(fam, 'different CPUs')] / by[(fam, 'same CPU')]:.1f}x ({fam})"
             for fam in fams if by.get((fam, "same CPU")) and (fam, "different CPUs") in by]
    return ", ".join(parts)


def _sweep(doc: dict, names: list[str], arm: str) -> list[dict]:
    """The concurrency sweep rows of these backends (a role's: parity.roles) with this pool arm."""
    return sorted((g for g in doc.get("growth", []) if g["dimension"] == "concurrency" and g.get("backend") in names
                   and _arm(g) == arm), key=lambda g: g["x"])


def _arm(row: dict) -> str | None:
    """A sweep row's pool arm: {"arm": ...} today; older documents wrote the arm's name alone."""
    pool = row.get("pool")
    return pool.get("arm") if isinstance(pool, dict) else pool


def _groups(rows: list[dict]) -> dict[tuple, list[dict]]:
    """Sweep rows per (backend, flavour, loop): levels of one sweep are only comparable within one group."""
    out: dict[tuple, list[dict]] = {}
    for g in rows:
        out.setdefault((g["backend"], g["flavour"], g.get("loop")), []).append(g)
    return out


def _glabel(key: tuple) -> str:
    backend, flavour, loop = key
    return f"{backend} {flavour}" + (f"/{loop}" if loop else "")


def _errors(rows: list[dict]) -> int:
    return sum(g.get("errors") or 0 for g in rows)


def c6(doc: dict) -> dict:
    pairs = roles.of(doc)
    cand, inc = roles.candidates(pairs), roles.incumbents(pairs)
    redis, pg = _sweep(doc, cand, "default"), _sweep(doc, inc, "default")
    if not redis:
        return roles.judged(claim("C6", "not-testable-here", "no concurrency sweep of a candidate backend "
                                  f"({', '.join(cand)}) in this run"), pairs)
    tuned = _groups(_sweep(doc, cand, "tuned"))
    verdicts, parts = [], []
    for key, rows in _groups(redis).items():
        top = rows[-1]
        t_top = next((g for g in tuned.get(key, []) if g["x"] == top["x"]), None)
        pg_same = [g for g in pg if (g["flavour"], g.get("loop")) == key[1:]]
        # A tuned pool that halves the tail at the top level is a gain a team would tune for.
        helps = t_top is not None and top.get("p99_ms") and t_top.get("p99_ms") and t_top["p99_ms"] < top["p99_ms"] / 2
        if _errors(rows):
            verdict = "refuted"
        elif helps:
            verdict = "partly"
        elif pg_same and _errors(pg_same):
            verdict = "confirmed"
        else:
            verdict = "partly"  # the candidate needed nothing, but the incumbent's problem it is said to avoid was not shown
        pg_text = (f"{'/'.join(inc)} default {_errors(pg_same)} errors" if pg_same else f"{'/'.join(inc)} not measured")
        tuned_text = f", tuned p99 {t_top['p99_ms']:.2f} ms" if t_top and t_top.get("p99_ms") else ""
        parts.append(f"{_glabel(key)} default pool: {_errors(rows)} errors, p99 {top.get('p99_ms') or 0:.2f} ms at "
                     f"{top['x']:g} workers{tuned_text}; {pg_text}")
        verdicts.append(verdict)
    evidence = [f"growth: concurrency {g['backend']} {g['flavour']}/{g.get('loop') or '-'} {_arm(g)} "
                f"x={g['x']:g} errors={g.get('errors')} p99={_ms(g.get('p99_ms'))} ms"
                for g in redis + [r for rows in tuned.values() for r in rows] + pg]
    return roles.judged(claim("C6", combine(verdicts), "; ".join(parts), evidence), pairs)


def c13(doc: dict) -> dict:
    pairs = roles.of(doc)
    redis = _sweep(doc, roles.candidates(pairs), "default")
    if not redis:
        return roles.judged(claim("C13", "not-testable-here", "no concurrency sweep of a candidate backend "
                                  f"({', '.join(roles.candidates(pairs))}) in this run"), pairs)
    verdicts, parts = [], []
    for key, rows in _groups(redis).items():
        low, high = rows[0], rows[-1]
        kept = (high.get("throughput_ops") or 0) / max(low.get("throughput_ops") or 1e-9, 1e-9)
        # Throughput falling below half its lowest-concurrency value under load counts as not holding up.
        verdicts.append("refuted" if _errors(rows) else "confirmed" if kept >= 0.5 else "partly")
        parts.append(f"{_glabel(key)} {low['x']:g}->{high['x']:g} workers: throughput "
                     f"{low.get('throughput_ops') or 0:.0f}->{high.get('throughput_ops') or 0:.0f} ops/s "
                     f"({kept:.0%} kept), p99 {low['p99_ms']:.2f}->{high['p99_ms']:.2f} ms, {_errors(rows)} errors")
    return roles.judged(claim("C13", combine(verdicts), "; ".join(parts) + " (2-core machine: client and server "
                              "share the cores)", [f"growth: concurrency {g['backend']} {g['flavour']}/"
                                                   f"{g.get('loop') or '-'} x={g['x']:g} "
                                                   f"{_n(g.get('throughput_ops'))} ops/s" for g in redis]), pairs)


def _g(x: float | None) -> str:
    """Three significant digits for people: 0.0448, 2133, 3660."""
    return "?" if x is None else f"{x:.3g}" if abs(x) < 1000 else f"{x:.0f}"


def _ms(x: float | None) -> str:
    return "?" if x is None else f"{x:.3g}"


def _n(x: float | None) -> str:
    return "?" if x is None else f"{x:.0f}" if abs(x - round(x)) < 0.05 else f"{x:.1f}"


def _footprint_pairs(rows: list[dict], pairs) -> list[tuple[str, str]]:
    """(candidate, incumbent) backends of every pair with footprint rows on both sides, in --pair order."""
    have = {f["backend"] for f in rows}
    return [(p.candidate, p.incumbent) for p in pairs if p.candidate in have and p.incumbent in have]


def c11(doc: dict) -> dict:
    judged = roles.of(doc)
    rows = [f for f in doc.get("footprint", []) if f.get("backend") in roles.members(judged)]
    by = {(f["backend"], f["op"]): f for f in rows}
    pairs = _footprint_pairs(rows, judged)
    op_order = list(dict.fromkeys(f["op"] for f in rows))
    cells = [(by[(r, o)], by[(p, o)]) for r, p in pairs for o in op_order if (r, o) in by and (p, o) in by]
    if not cells:
        return roles.judged(claim("C11", "not-testable-here", "no footprint of both backends of a pair in this run "
                                  f"({roles.said(judged)})"), judged)
    cpu = [(r.get("server_cpu_ms"), p.get("server_cpu_ms")) for r, p in cells]
    cpu = [(r, p) for r, p in cpu if r is not None and p is not None]
    less_cpu = sum(r < p for r, p in cpu)
    cpu_v = ("not-testable-here" if not cpu else "confirmed" if less_cpu == len(cpu) else "refuted" if less_cpu == 0
             else "partly")
    mem = [(r.get("bytes_stored_per_checkpoint"), p.get("bytes_stored_per_checkpoint")) for r, p in cells]
    mem = [(r, p) for r, p in mem if r and p]
    mem_v = ("not-testable-here" if not mem else "confirmed" if all(r > p for r, p in mem)
             else "refuted" if all(r <= p for r, p in mem) else "partly")
    wire = [(r.get("bytes_wire"), p.get("bytes_wire")) for r, p in cells]
    wire = [(r, p) for r, p in wire if r is not None and p is not None]
    more_wire = sum(r > p for r, p in wire)
    # Commands and round trips per call: why a ratio moves with network distance (each round trip costs an RTT).
    chatter = []
    for rb, pb in pairs:
        per_op = [f"{r['op']} {rb} {_n(r.get('commands_per_call'))} commands in {_n(r.get('round_trips'))} round trips "
                  f"vs {pb} {_n(p.get('commands_per_call'))} statements in {_n(p.get('round_trips'))}"
                  for r, p in cells if r["backend"] == rb and p["backend"] == pb
                  and (r.get("round_trips") is not None or p.get("commands_per_call") is not None)]
        if per_op:
            chatter.append("; ".join(per_op))
    cand, inc = pairs[0]
    reason = (f"server CPU lower on the candidate for {less_cpu}/{len(cpu)} op rows; bytes stored per checkpoint "
              + (f"{cand} {mem[0][0]:.0f} vs {inc} {mem[0][1]:.0f}" if mem else "not measured")
              + f"; more bytes on the wire on the candidate for {more_wire}/{len(wire)} op rows"
              + (". Per call: " + "; ".join(chatter) if chatter else "") + " (point figures, one run)")
    evidence = [f"footprint: {f['backend']} {f['op']} server cpu {_g(f.get('server_cpu_ms'))} ms, "
                f"{_g(f.get('bytes_wire'))} B on the wire, {_g(f.get('commands_per_call'))} commands in "
                f"{_g(f.get('round_trips'))} round trips per call"
                + (f", {_g(f['bytes_stored_per_checkpoint'])} B stored per checkpoint"
                   if f.get("bytes_stored_per_checkpoint") is not None else "") for f in rows]
    counters = sorted({f"{f['family']}: {f['commands_counter']}" for f in rows if f.get("commands_counter")})
    evidence += [f"commands counter {c}" for c in counters]
    used = [p for p in judged if (p.candidate, p.incumbent) in pairs]
    return roles.judged(claim("C11", combine([cpu_v, mem_v]), reason + f" [{roles.said(used)}]", evidence), used)


def verdicts(doc: dict) -> list[dict]:
    return [c1(doc), c2(doc), c3(doc), c6(doc), c11(doc), c13(doc)]


def overhead(doc: dict) -> dict[str, Any]:
    """The empty call's p50 (worst flavour) and its fraction of the fastest candidate operation's p50 (the key keeps
    its old name: for the default pair the candidates are the Redis savers)."""
    harness = [f["p50_ms"] for f in doc.get("floors", []) if f["backend"] == "harness"]
    cand = roles.candidates(roles.of(doc))
    fastest = [m["p50_ms"] for m in doc.get("measurements", []) if m.get("backend") in cand and m.get("p50_ms")]
    if not harness:
        return {}
    p50 = max(harness)
    return {"p50_ms": p50, "fraction_of_fastest": (p50 / min(fastest)) if fastest else None,
            "fastest_redis_op_p50_ms": min(fastest) if fastest else None}


def repeatability(doc: dict) -> dict[str, Any]:
    """The put ratios measured twice in one run: the largest relative difference between the two medians, and,
    when it exceeds the run's target (parity.measuring.repeatability), whether the servers' own statistics saw
    different events in the two repeats."""
    from parity.measuring import server_events
    from parity.measuring.repeatability import target

    tolerance = target(doc)
    keys = ("flavour", "loop", "payload", "pairing", "numerator", "denominator")
    firsts: dict[tuple, dict] = {}
    worst: tuple[float, tuple, dict, dict] | None = None
    beyond = 0
    for r in doc.get("ratios", []):
        if r.get("op") != "put" or not r.get("median"):
            continue
        key = tuple(str(r.get(k)) for k in keys)
        if r.get("repeat", 1) == 1:
            firsts[key] = r
        elif key in firsts:
            rel = abs(r["median"] - firsts[key]["median"]) / firsts[key]["median"]
            beyond += rel > tolerance
            if worst is None or rel > worst[0]:
                worst = (rel, key, firsts[key], r)
    if worst is None:
        return {}
    rel, key, r1, r2 = worst
    out: dict[str, Any] = {"put_ratio_repeat_max_rel_diff": round(rel, 4), "put_ratio_repeat_worst": " ".join(key),
                           "put_ratio_repeat_within_tolerance": rel <= tolerance,
                           "put_ratio_repeat_tolerance": tolerance,
                           "put_ratio_repeat_beyond_tolerance": beyond}
    if rel <= tolerance:
        return out
    p50 = _repeat_p50s(doc, dict(zip(keys, (r1.get(k) for k in keys))))
    moved = "; ".join(f"{b} put p50 " + " vs ".join(f"{v:.3f}" if v is not None else "?" for v in vals) + " ms"
                      for b, vals in p50.items())
    out["put_ratio_repeat_p50_ms"] = {b: {"repeat 1": v[0], "repeat 2": v[1]} for b, v in p50.items()}
    e1, e2 = r1.get("server_events"), r2.get("server_events")
    if e1 is None or e2 is None:
        out["put_ratio_repeat_server_events"] = None
        out["put_ratio_repeat_why"] = (f"ratio {_fmt(r1['median'])} vs {_fmt(r2['median'])} ({moved}); server events "
                                       "not recorded for both repeats: cannot say whether the servers did something")
        return out
    n1, n2 = server_events.notable(e1), server_events.notable(e2)
    out["put_ratio_repeat_server_events"] = {"repeat 1": n1, "repeat 2": n2}
    out["put_ratio_repeat_server_events_differ"] = n1 != n2
    d1, d2 = server_events.describe(e1), server_events.describe(e2)
    head = f"ratio {_fmt(r1['median'])} in repeat 1 vs {_fmt(r2['median'])} in repeat 2 ({moved}); "
    if n1 == n2 == {}:
        why = ("neither repeat saw a server event (no Redis fork/save/AOF rewrite, no Postgres checkpoint or "
               "autovacuum in either timed window): the difference is not explained by server persistence or maintenance")
    elif n1 == n2:
        why = f"both repeats saw the same server events ({d1}): they do not explain the difference"
    else:
        why = f"server events differed: repeat 1 saw {d1}; repeat 2 saw {d2}"
    out["put_ratio_repeat_why"] = head + why
    return out


def _repeat_p50s(doc: dict, where: dict) -> dict[str, tuple]:
    """backend -> (repeat-1 p50, repeat-2 p50) of the put rows behind one ratio pair."""
    out: dict[str, tuple] = {}
    for b in (where["numerator"], where["denominator"]):
        vals = []
        for rep in (1, 2):
            m = next((m for m in doc.get("measurements", []) if m.get("op") == "put" and m.get("backend") == b
                      and m.get("repeat", 1) == rep and m.get("p50_ms") is not None
                      and all(str(m.get(k)) == str(where[k]) for k in ("flavour", "loop", "payload", "pairing"))), None)
            vals.append(m["p50_ms"] if m else None)
        out[b] = tuple(vals)
    return out
