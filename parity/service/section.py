"""The `service` section of results.json: rows per backend and rate, incumbent ÷ candidate ratios with CIs, the
highest rate each backend sustains, and a service-level line for claims C1, C2, C6 and C13."""

from __future__ import annotations

from typing import Any

from parity import stats
from parity.service.loadgen import REQUEST_TIMEOUT_S
from parity.service.plan import ServicePlan, p99_bound_ms

SUSTAINED_SHARE = 0.95  # achieved ÷ offered below this (k6 could not start requests on time) is not sustained
MIN_SECONDS = 3  # per-second rounds both sides need before a ratio gets a CI


def sustained(row: dict[str, Any]) -> tuple[bool, str]:
    """Whether the backend kept this rate: the generator kept its schedule (nothing dropped, the rate achieved),
    no request failed or timed out, and p99 stayed under the stated bound."""
    if row["dropped"]:
        return False, f"{row['dropped']} scheduled requests dropped (every k6 VU busy)"
    if row["achieved_rps"] < SUSTAINED_SHARE * row["rate"]:
        return False, f"achieved {row['achieved_rps']:g} of {row['rate']:g} req/s"
    errors = row["error_count"]
    if errors:
        return False, f"{errors} errors or timeouts"
    bound = p99_bound_ms(row["model_ms"])
    if row["p99_ms"] is None or row["p99_ms"] > bound:
        return False, f"p99 {row['p99_ms']} ms over the {bound:g} ms bound"
    return True, f"p99 {row['p99_ms']} ms within {bound:g} ms, nothing dropped or failed"


def _p99(xs):
    return stats.percentile(xs, 99)


def ratio(inc: dict[str, Any], cand: dict[str, Any]) -> dict[str, Any]:
    """Incumbent ÷ candidate request p50 and p99 at one rate, CIs by resampling whole seconds of both runs (requests
    of one second share its queue, so single requests are not independent)."""
    a = [s for s in inc.get("samples_by_second") or [] if s]
    b = [s for s in cand.get("samples_by_second") or [] if s]
    k = min(len(a), len(b))
    out = {"pair": inc["pair"], "model_ms": inc["model_ms"], "arm": inc["arm"], "rate": inc["rate"],
           "incumbent": inc["backend"], "candidate": cand["backend"], "seconds": k}
    if k < MIN_SECONDS:
        return {**out, "p50": None, "p99": None, "why": f"fewer than {MIN_SECONDS} seconds with answers on both sides"}
    for name, stat in (("p50", stats.median), ("p99", _p99)):
        value, low, high = stats.bootstrap_rounds_ratio_ci(a[:k], b[:k], stat=stat, n_resamples=1000)
        out[name], out[f"{name}_ci"] = round(value, 3), [round(low, 3), round(high, 3)]
    return out


def build(rows: list[dict[str, Any]], plan: ServicePlan, workload: str, turns: int, layout: dict[str, Any],
          noise: dict[str, Any] | None, complete: bool = True) -> dict[str, Any]:
    """The section from the measured rows (their per-second samples used here, then dropped)."""
    for row in rows:
        row["sustained"], row["sustained_why"] = sustained(row)
    ratios = []
    for row in rows:
        if row["role"] != "incumbent":
            continue
        cand = next((r for r in rows if r["pair"] == row["pair"] and r["role"] == "candidate"
                     and (r["model_ms"], r["arm"], r["rate"]) == (row["model_ms"], row["arm"], row["rate"])), None)
        if cand is not None:
            ratios.append(ratio(row, cand))
    for row in rows:
        row.pop("samples_by_second", None)
    section = {"workload": workload, "turns_per_conversation": turns, "complete": complete,
               "plan": {"rates": list(plan.rates), "duration_s": plan.duration_s, "model_ms": list(plan.model_ms),
                        "warmup_turns": plan.warmup_turns, "request_timeout_s": REQUEST_TIMEOUT_S,
                        "p99_bound": "model latency + 500 ms"},
               "load_generator": "k6 constant-arrival-rate (open loop)", "layout": layout, "noise": noise,
               "rows": rows, "ratios": ratios, "headroom": headroom(rows)}
    section["claims"] = claim_lines(section)
    return section


def headroom(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per backend, model latency and arm: the highest offered rate it sustained (None: not even the lowest)."""
    keys = sorted({(r["backend"], r["model_ms"], r["arm"]) for r in rows}, key=str)
    out = []
    for backend, model_ms, arm in keys:
        mine = sorted((r for r in rows if (r["backend"], r["model_ms"], r["arm"]) == (backend, model_ms, arm)),
                      key=lambda r: r["rate"])
        kept = [r["rate"] for r in mine if r["sustained"]]
        out.append({"backend": backend, "model_ms": model_ms, "arm": arm, "p99_bound_ms": p99_bound_ms(model_ms),
                    "highest_sustained_rps": max(kept) if kept else None, "rates_tried": [r["rate"] for r in mine],
                    "first_failure": next((f"{r['rate']:g} req/s: {r['sustained_why']}" for r in mine
                                           if not r["sustained"]), None)})
    return out


def _pick(rows: list[dict[str, Any]]) -> tuple[int, float] | None:
    """The (model latency, rate) a claim line quotes: a 50 ms model when measured (the guide's service calls a
    model), at the highest rate both backends of the default arm sustained, else the lowest rate."""
    models = sorted({r["model_ms"] for r in rows})
    if not models:
        return None
    model = 50 if 50 in models else models[0]
    mine = [r for r in rows if r["model_ms"] == model and r["arm"] == "default"]
    rates = sorted({r["rate"] for r in mine})
    both = [rate for rate in rates if all(r["sustained"] for r in mine if r["rate"] == rate)]
    return model, (max(both) if both else rates[0])


def _at(rows, role, model, rate, arm="default"):
    return next((r for r in rows if (r["role"], r["model_ms"], r["rate"], r["arm"]) == (role, model, rate, arm)), None)


def claim_lines(section: dict[str, Any]) -> list[dict[str, str]]:
    rows = section["rows"]
    pick = _pick(rows)
    if pick is None:
        return []
    model, rate = pick
    inc, cand = _at(rows, "incumbent", model, rate), _at(rows, "candidate", model, rate)
    if inc is None or cand is None:
        return []
    at = f"at {rate:g} req/s with a {model} ms model"
    s_i, s_c = inc["server"], cand["server"]
    lines = [
        ("C1", f"{at}, a turn spent {s_c.get('saver_write_mean_ms')} ms writing checkpoints in {cand['backend']} vs "
               f"{s_i.get('saver_write_mean_ms')} ms in {inc['backend']} (server side, mean per turn; "
               f"{_over(s_i, s_c, 'saver_write_mean_ms', inc, cand)})"),
        ("C2", f"{at}, a turn spent {s_c.get('saver_read_mean_ms')} ms reading checkpoints in {cand['backend']} vs "
               f"{s_i.get('saver_read_mean_ms')} ms in {inc['backend']} ({_over(s_i, s_c, 'saver_read_mean_ms', inc, cand)}"
               f"); request p99 {cand['backend']} {cand['p99_ms']} ms vs {inc['backend']} {inc['p99_ms']} ms"),
        ("C6", _c6(rows, model)),
        ("C13", _c13(section["headroom"], rows, model, inc, cand)),
    ]
    return [{"claim": c, "line": line} for c, line in lines if line]


def _over(s_i: dict[str, Any], s_c: dict[str, Any], key: str, inc, cand) -> str:
    a, b = s_i.get(key), s_c.get(key)
    ratio = f"{a / b:.2f}×" if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b > 0 else "–"
    return f"{inc['backend']} ÷ {cand['backend']} {ratio}"


def _c6(rows, model) -> str:
    """Default vs sized pool at the highest rate tried: errors, timeouts and p99, per backend."""
    top = max((r["rate"] for r in rows if r["model_ms"] == model), default=None)
    parts = []
    for role in ("candidate", "incumbent"):
        d, s = _at(rows, role, model, top, "default"), _at(rows, role, model, top, "sized")
        if d and s:
            parts.append(f"{d['backend']} default pool {d['error_count']} errors ({d['timeouts']} timeouts), p99 "
                         f"{d['p99_ms']} ms; sized to the load {s['error_count']} errors, p99 {s['p99_ms']} ms")
    return f"at {top:g} req/s with a {model} ms model: " + "; ".join(parts) if parts else ""


def _c13(headroom_rows, rows, model, inc, cand) -> str:
    def best(name):
        h = next((h for h in headroom_rows if (h["backend"], h["model_ms"], h["arm"]) == (name, model, "default")), None)
        top = h and h["highest_sustained_rps"]
        return f"{top:g} req/s" if top else "none of the rates tried"
    bound = p99_bound_ms(model)
    return (f"with a {model} ms model and p99 under {bound:g} ms, {cand['backend']} sustained {best(cand['backend'])} "
            f"and {inc['backend']} {best(inc['backend'])} (highest rate tried "
            f"{max(r['rate'] for r in rows if r['model_ms'] == model):g} req/s, default pools)")


SERVICE_EVIDENCE = "service level: "


def add_claim_lines(doc: dict[str, Any]) -> None:
    """Each claim the service section has a line for gets it as evidence (once: derive may run again on a document)."""
    service = doc.get("service")
    if not isinstance(service, dict):
        return
    lines = {c["claim"]: c["line"] for c in service.get("claims") or []}
    for claim in doc.get("claims") or []:
        if claim.get("id") in lines:
            kept = [e for e in claim.get("evidence") or [] if not str(e).startswith(SERVICE_EVIDENCE)]
            claim["evidence"] = kept + [SERVICE_EVIDENCE + lines[claim["id"]]]
