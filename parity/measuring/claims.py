"""Verdicts for C1, C2, C3, C6, C11, C13 computed from the results document only; the overhead figure."""

from __future__ import annotations

from typing import Any

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
    rows = [r for r in combined_ratios(doc) if r.get("op_kind") == kind]
    if not rows:
        return claim(cid, "not-testable-here", f"no {what} ratio measured in this run (needs a Redis and a Postgres backend)")
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
    reason = (f"Postgres÷Redis {what} medians {_fmt(meds[0])}–{_fmt(meds[-1])}x over {len(main)} op/flavour/loop rows; "
              f"CI inside {lo:g}–{hi:g}x in {inside}, wholly below in {below}{near}; {why}"
              + (f" ({'; '.join(others)})" if others else ""))
    evidence = [f"ratios: {r['op']}[{r['payload']}] {r['flavour']}/{r.get('loop') or '-'} {r['numerator']}/{r['denominator']} "
                f"{_fmt(r['median'])} [{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}] {r['pairing']}" + _over(r) for r in main]
    return claim(cid, combine(verdicts), reason, evidence)


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
    for family in ("redis", "postgres"):
        claimed = band("C3", family)
        fam = [m for m in rows if m.get("family") == family]
        if not fam:
            continue
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
        return claim("C3", "not-testable-here", "no Redis or Postgres latency measured in this run")
    spread = placement_spread(doc)
    note = (f"; a bare round trip across two CPUs took {spread} the same-CPU one, so where the scheduler puts "
            "client and server moves every absolute figure") if spread else ""
    return claim("C3", combine(verdicts), "; ".join(parts) + " (this machine only, loopback, server defaults)" + note,
                 evidence + [f"floors: {f['backend']} {f['what']}: p50 {f['p50_ms']:.3f} ms"
                             for f in doc.get("floors", []) if f.get("placement")])


def placement_spread(doc: dict) -> str:
    """"4.5x (redis), 6.0x (postgres)": cross-CPU over same-CPU round trip per family, from the placement floors."""
    by = {(f["backend"], f["placement"]): f["p50_ms"] for f in doc.get("floors", []) if f.get("placement")}
    parts = [f"{by[(fam, 'different CPUs')] / by[(fam, 'same CPU')]:.1f}x ({fam})"
             for fam in ("redis", "postgres") if by.get((fam, "same CPU")) and (fam, "different CPUs") in by]
    return ", ".join(parts)


def _sweep(doc: dict, family: str, arm: str) -> list[dict]:
    return sorted((g for g in doc.get("growth", []) if g["dimension"] == "concurrency" and g.get("family") == family
                   and (g.get("pool") or {}).get("arm") == arm), key=lambda g: g["x"])


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
    redis, pg = _sweep(doc, "redis", "default"), _sweep(doc, "postgres", "default")
    if not redis:
        return claim("C6", "not-testable-here", "no concurrency sweep of a Redis backend in this run")
    tuned = _groups(_sweep(doc, "redis", "tuned"))
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
            verdict = "partly"  # Redis needed nothing, but the Postgres problem it is said to avoid was not shown
        pg_text = f"Postgres default {_errors(pg_same)} errors" if pg_same else "Postgres not measured"
        tuned_text = f", tuned p99 {t_top['p99_ms']:.2f} ms" if t_top and t_top.get("p99_ms") else ""
        parts.append(f"{_glabel(key)} default pool: {_errors(rows)} errors, p99 {top.get('p99_ms') or 0:.2f} ms at "
                     f"{top['x']:g} workers{tuned_text}; {pg_text}")
        verdicts.append(verdict)
    evidence = [f"growth: concurrency {g['backend']} {g['flavour']}/{g.get('loop') or '-'} {g['pool']['arm']} "
                f"x={g['x']:g} errors={g.get('errors')} p99={_ms(g.get('p99_ms'))} ms"
                for g in redis + [r for rows in tuned.values() for r in rows] + pg]
    return claim("C6", combine(verdicts), "; ".join(parts), evidence)


def c13(doc: dict) -> dict:
    redis = _sweep(doc, "redis", "default")
    if not redis:
        return claim("C13", "not-testable-here", "no concurrency sweep of a Redis backend in this run")
    verdicts, parts = [], []
    for key, rows in _groups(redis).items():
        low, high = rows[0], rows[-1]
        kept = (high.get("throughput_ops") or 0) / max(low.get("throughput_ops") or 1e-9, 1e-9)
        # Throughput falling below half its lowest-concurrency value under load counts as not holding up.
        verdicts.append("refuted" if _errors(rows) else "confirmed" if kept >= 0.5 else "partly")
        parts.append(f"{_glabel(key)} {low['x']:g}->{high['x']:g} workers: throughput "
                     f"{low.get('throughput_ops') or 0:.0f}->{high.get('throughput_ops') or 0:.0f} ops/s "
                     f"({kept:.0%} kept), p99 {low['p99_ms']:.2f}->{high['p99_ms']:.2f} ms, {_errors(rows)} errors")
    return claim("C13", combine(verdicts), "; ".join(parts) + " (2-core machine: client and server share the cores)",
                 [f"growth: concurrency {g['backend']} {g['flavour']}/{g.get('loop') or '-'} x={g['x']:g} "
                  f"{_n(g.get('throughput_ops'))} ops/s" for g in redis])


def _g(x: float | None) -> str:
    """Three significant digits for people: 0.0448, 2133, 3660."""
    return "?" if x is None else f"{x:.3g}" if abs(x) < 1000 else f"{x:.0f}"


def _ms(x: float | None) -> str:
    return "?" if x is None else f"{x:.3g}"


def _n(x: float | None) -> str:
    return "?" if x is None else f"{x:.0f}" if abs(x - round(x)) < 0.05 else f"{x:.1f}"


def _footprint_pairs(rows: list[dict]) -> list[tuple[str, str]]:
    """(redis backend, postgres backend) pairs with the same history kind (full with full, shallow with shallow)."""
    kind = {}
    for f in rows:
        # Rows from before full_history was recorded: the name after the family prefix ("-shallow") stands in.
        k = f["full_history"] if f.get("full_history") is not None else f["backend"].removeprefix(f["family"])
        kind.setdefault((f["family"], f["backend"]), k)
    rd = [b for fam, b in kind if fam == "redis"]
    pg = [b for fam, b in kind if fam == "postgres"]
    pairs = [(r, p) for r in rd for p in pg if kind[("redis", r)] == kind[("postgres", p)]]
    # Full-history pairs first: the default savers a team migrates between.
    return sorted(pairs, key=lambda rp: kind[("redis", rp[0])] not in (True, ""))


def c11(doc: dict) -> dict:
    rows = [f for f in doc.get("footprint", []) if f.get("family") in ("redis", "postgres")]
    by = {(f["backend"], f["op"]): f for f in rows}
    pairs = _footprint_pairs(rows)
    op_order = list(dict.fromkeys(f["op"] for f in rows))
    cells = [(by[(r, o)], by[(p, o)]) for r, p in pairs for o in op_order if (r, o) in by and (p, o) in by]
    if not cells:
        return claim("C11", "not-testable-here", "no footprint of both a Redis and a Postgres backend in this run")
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
    reason = (f"server CPU lower on Redis for {less_cpu}/{len(cpu)} op rows; bytes stored per checkpoint "
              + (f"Redis {mem[0][0]:.0f} vs Postgres {mem[0][1]:.0f}" if mem else "not measured")
              + f"; more bytes on the wire on Redis for {more_wire}/{len(wire)} op rows"
              + (". Per call: " + "; ".join(chatter) if chatter else "") + " (point figures, one run)")
    evidence = [f"footprint: {f['backend']} {f['op']} server cpu {_g(f.get('server_cpu_ms'))} ms, "
                f"{_g(f.get('bytes_wire'))} B on the wire, {_g(f.get('commands_per_call'))} commands in "
                f"{_g(f.get('round_trips'))} round trips per call"
                + (f", {_g(f['bytes_stored_per_checkpoint'])} B stored per checkpoint"
                   if f.get("bytes_stored_per_checkpoint") is not None else "") for f in rows]
    counters = sorted({f"{f['family']}: {f['commands_counter']}" for f in rows if f.get("commands_counter")})
    evidence += [f"commands counter {c}" for c in counters]
    return claim("C11", combine([cpu_v, mem_v]), reason, evidence)


def verdicts(doc: dict) -> list[dict]:
    return [c1(doc), c2(doc), c3(doc), c6(doc), c11(doc), c13(doc)]


def overhead(doc: dict) -> dict[str, Any]:
    """The empty call's p50 (worst flavour) and its fraction of the fastest Redis-family operation's p50."""
    harness = [f["p50_ms"] for f in doc.get("floors", []) if f["backend"] == "harness"]
    fastest = [m["p50_ms"] for m in doc.get("measurements", []) if m.get("family") == "redis" and m.get("p50_ms")]
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
