"""`parity gate`: decide pass/fail for CI from a results document and a TOML policy (examples/gate-policy.toml)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from parity import layout, results
from parity.errors import ParityUsageError
from parity.langgraph_tests import gate as lgt_gate
from parity.shadow.summary import dropped, mean_ratios, reads_compared
from parity.verdicts import VERDICTS, claim_ids

FAILING = ("diverged", "failed", "error", "skipped")  # a plain skip (not not-applicable) hides a cell
MAX_REASONS_PER_CHECK = 20  # a gate log is read by a person; the report lists everything


@dataclass(frozen=True)
class RatioRule:
    op: str
    flavour: str | None = None
    payload: str | None = None
    pairing: str | None = None
    pair: str | None = None  # "postgres/redis": numerator/denominator backends; None = every pair measured
    min_ci_low: float | None = None
    min_median: float | None = None
    origin: str = "[[performance.ratio]]"


@dataclass(frozen=True)
class Policy:
    source: str
    compat: dict[str, Any] | None = None  # backends, scenarios (None = all), allow_known_divergences
    ratios: tuple[RatioRule, ...] = ()
    durability: dict[str, Any] | None = None  # backend, settings?, fault?, max_lost, max_unresumable?
    must_not_be: dict[str, tuple[str, ...]] = field(default_factory=dict)
    must_be: dict[str, tuple[str, ...]] = field(default_factory=dict)
    shadow: dict[str, Any] | None = None  # the [shadow] table: limits on ShadowSaver recordings (see SECTIONS)
    replay: dict[str, Any] | None = None  # the [replay] table: limits on `parity replay` (see SECTIONS)
    langgraph_tests: dict[str, Any] | None = None  # [langgraph_tests]: parity/langgraph_tests/gate.py


# ---- policy loading -----------------------------------------------------------------------------------

def _str(v: Any) -> bool:
    return isinstance(v, str)


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _count(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _strs(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _verdict_map(v: Any) -> bool:
    return isinstance(v, dict) and all(_strs(x) for x in v.values())


# key -> (check, expected type in words)
def _pair(v: Any) -> bool:
    return isinstance(v, str) and v.count("/") == 1 and all(v.split("/"))


Spec = dict[str, tuple[Callable[[Any], bool], str]]
SECTIONS: dict[str, Spec] = {
    "compat": {"backends": (_strs, "a list of strings"), "scenarios": (_strs, "a list of strings"),
               "allow_known_divergences": (lambda v: isinstance(v, bool), "true or false")},
    "performance": {"min_put_ratio_ci_low": (_num, "a number"), "pair": (_pair, 'a string like "postgres/redis"'),
                    "ratio": (lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v),
                              "an array of tables ([[performance.ratio]])")},
    "durability": {"backend": (_str, "a string"), "settings": (_str, "a string"), "fault": (_str, "a string"),
                   "max_lost": (_count, "an integer >= 0"), "max_unresumable": (_count, "an integer >= 0")},
    "claims": {"must_not_be": (_verdict_map, "a table of claim id -> list of verdicts"),
               "must_be": (_verdict_map, "a table of claim id -> list of verdicts")},
    # Limits on the `shadow` section (`parity shadow summarize`); a run without one fails the gate.
    "shadow": {"max_divergences": (_count, "an integer >= 0"),
               "max_dropped": (_count, "an integer >= 0"),
               "max_unreliable_threads": (_count, "an integer >= 0"),
               "min_reads_compared": (_count, "an integer >= 0"),
               "allow_known_divergences": (lambda v: isinstance(v, bool), "true or false"),
               "max_p50_ratio": (_num, "a number"), "max_mean_ratio": (_num, "a number"),
               "ops": (_strs, "a list of strings")},
    # Limits on the `replay` section (`parity replay --from URL`); a run without one fails the gate.
    "replay": {"backends": (_strs, "a list of strings"),
               "max_diverged_threads": (_count, "an integer >= 0"),
               "max_errored_threads": (_count, "an integer >= 0"),
               "min_threads": (_count, "an integer >= 0"),
               "max_read_ratio_ci_low": (_num, "a number")},
    # Limits on the `langgraph_tests` section (`parity langgraph-tests`); a run without one fails the gate.
    "langgraph_tests": {"backends": (_strs, "a list of strings"), "max_failures": (_count, "an integer >= 0"),
                        "allow_expected": (lambda v: isinstance(v, bool), "true or false"),
                        "allow_unattributed": (lambda v: isinstance(v, bool), "true or false"),
                        "mode": (lambda v: v in ("quick", "full"), '"quick" or "full"')},
}
RATIO_RULE: Spec = {"op": (_str, "a string"), "flavour": (_str, "a string"),
                    "payload": (lambda v: _str(v) or _count(v), "a string or an integer"),
                    "pairing": (_str, "a string"), "pair": (_pair, 'a string like "postgres/redis"'),
                    "min_ci_low": (_num, "a number"), "min_median": (_num, "a number")}


def load_policy(path: Path | str) -> Policy:
    """Read and check a policy file; any problem is one ParityUsageError line naming the file and key."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise layout.missing_relative(p, "policy file", "gate-policy.toml",
                                      also="`parity init` writes a commented one") from None
    except OSError as exc:
        raise ParityUsageError(f"cannot read policy file {p}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ParityUsageError(f"policy {p} is not valid TOML: {' '.join(str(exc).split())}",
                               f"see {layout.example('gate-policy.toml')}") from None
    return parse_policy(data, str(p))


def parse_policy(data: dict[str, Any], source: str = "policy") -> Policy:
    def bad(what: str) -> ParityUsageError:
        return ParityUsageError(f"policy {source}: {what}", f"see {layout.example('gate-policy.toml')}")

    for name, value in data.items():
        if name not in SECTIONS:
            raise bad(f"unknown section [{name}] (known: {', '.join(SECTIONS)})")
        if not isinstance(value, dict):
            raise bad(f"[{name}] must be a table")
        _check_keys(value, SECTIONS[name], f"[{name}]", bad)
    if not data:
        raise bad("no checks configured (add [compat], [performance], [durability], [claims], [shadow], [replay] or "
                  "[langgraph_tests])")
    return Policy(source=source, compat=_compat(data.get("compat")), ratios=_ratio_rules(data.get("performance"), bad),
                  durability=_durability(data.get("durability"), bad),
                  must_not_be=_verdicts(data.get("claims", {}).get("must_not_be", {}), "must_not_be", bad),
                  must_be=_verdicts(data.get("claims", {}).get("must_be", {}), "must_be", bad),
                  shadow=_shadow(data.get("shadow")),
                  replay=None if "replay" not in data else {"min_threads": 1, **data["replay"]},
                  langgraph_tests=lgt_gate.rule(data.get("langgraph_tests")))


def _check_keys(table: dict[str, Any], spec: Spec, where: str, bad: Callable[[str], ParityUsageError]) -> None:
    for key, value in table.items():
        if key not in spec:
            raise bad(f"unknown key {where}.{key} (known: {', '.join(spec)})")
        check, expected = spec[key]
        if not check(value):
            raise bad(f"{where}.{key} must be {expected}, got {type(value).__name__} {value!r}"[:200])


def _compat(table: dict[str, Any] | None) -> dict[str, Any] | None:
    if table is None:
        return None
    return {"backends": table.get("backends"), "scenarios": table.get("scenarios"),
            "allow_known_divergences": table.get("allow_known_divergences", True)}


def _ratio_rules(table: dict[str, Any] | None, bad: Callable[[str], ParityUsageError]) -> tuple[RatioRule, ...]:
    table = table or {}
    rules = []
    if "min_put_ratio_ci_low" in table:
        rules.append(RatioRule(op="put", min_ci_low=float(table["min_put_ratio_ci_low"]), pair=table.get("pair"),
                               origin="[performance].min_put_ratio_ci_low"))
    for i, rule in enumerate(table.get("ratio", [])):
        where = f"[[performance.ratio]] #{i + 1}"
        _check_keys(rule, RATIO_RULE, where, bad)
        if "op" not in rule:
            raise bad(f"{where} needs op = \"...\"")
        if "min_ci_low" not in rule and "min_median" not in rule:
            raise bad(f"{where} needs min_ci_low or min_median")
        if rule.get("flavour") not in (None, "sync", "async"):
            raise bad(f"{where}.flavour must be \"sync\" or \"async\", got {rule['flavour']!r}")
        rules.append(RatioRule(op=rule["op"], flavour=rule.get("flavour"),
                               payload=None if rule.get("payload") is None else str(rule["payload"]),
                               pairing=rule.get("pairing"), pair=rule.get("pair", table.get("pair")),
                               min_ci_low=rule.get("min_ci_low"),
                               min_median=rule.get("min_median"), origin=where))
    return tuple(rules)


def _durability(table: dict[str, Any] | None, bad: Callable[[str], ParityUsageError]) -> dict[str, Any] | None:
    if table is None:
        return None
    if "backend" not in table or "max_lost" not in table:
        raise bad("[durability] needs backend = \"...\" and max_lost = N")
    if table.get("fault") not in (None, "kill", "term"):
        raise bad(f"[durability].fault must be \"kill\" or \"term\", got {table['fault']!r}")
    return dict(table)


def _shadow(table: dict[str, Any] | None) -> dict[str, Any] | None:
    # At least one compared read by default: a shadow that compared nothing is no evidence of agreement.
    # Known divergences (a reviewed upstream issue explains every difference) do not count against
    # max_divergences, as in [compat]; allow_known_divergences = false counts them too.
    return None if table is None else {"min_reads_compared": 1, "allow_known_divergences": True, **table}


def _verdicts(table: dict[str, list[str]], key: str,
              bad: Callable[[str], ParityUsageError]) -> dict[str, tuple[str, ...]]:
    for claim, verdicts in table.items():
        if claim not in claim_ids():
            raise bad(f"[claims].{key}: unknown claim {claim!r} (known: {', '.join(claim_ids())})")
        for v in verdicts:
            if v not in VERDICTS:
                raise bad(f"[claims].{key}.{claim}: unknown verdict {v!r} (known: {', '.join(VERDICTS)})")
    return {claim: tuple(v) for claim, v in table.items()}


# ---- the gate ----------------------------------------------------------------------------------------------

def run_gate(doc: dict[str, Any], policy: Policy | dict[str, Any]) -> tuple[bool, list[str]]:
    """(ok, reasons): every reason is one line saying which check failed and the numbers behind it."""
    if isinstance(policy, dict):
        policy = parse_policy(policy)
    reasons: list[str] = []
    if policy.compat is not None:
        reasons += _capped(_check_compat(doc, policy.compat))
    for rule in policy.ratios:
        reasons += _capped(_check_ratio(doc, rule))
    if policy.durability is not None:
        reasons += _capped(_check_durability(doc, policy.durability))
    reasons += _check_claims(doc, policy)
    if policy.shadow is not None:
        reasons += _capped(_check_shadow(doc, policy.shadow))
    if policy.replay is not None:
        reasons += _capped(_check_replay(doc, policy.replay))
    if policy.langgraph_tests is not None:
        reasons += _capped(lgt_gate.check(doc, policy.langgraph_tests))
    return (not reasons, reasons)


def describe_policy(policy: Policy) -> list[str]:
    """What the gate checks, one line each (for the CLI to print before the verdict)."""
    out = []
    if policy.compat is not None:
        c = policy.compat
        known = "allowed" if c["allow_known_divergences"] else "fail too"
        subset = f" in {len(c['scenarios'])} scenarios" if c["scenarios"] else ""
        backends = ", ".join(c["backends"] or ["all backends"])
        out.append(f"compat: no divergence on {backends}{subset}, known divergences {known}")
    for r in policy.ratios:
        bounds = (("CI low", r.min_ci_low), ("median", r.min_median))
        need = " and ".join(f"{k} >= {v:g}" for k, v in bounds if v is not None)
        out.append(f"ratio {r.op}{_where(r)}: {need} ({r.origin})")
    if policy.durability is not None:
        d = policy.durability
        what = f"{d['backend']} {d.get('settings') or 'any settings'}"
        out.append(f"durability {what}: at most {d['max_lost']} lost writes")
    for claim, verdicts in policy.must_not_be.items():
        out.append(f"claim {claim} must not be {' or '.join(verdicts)}")
    for claim, verdicts in policy.must_be.items():
        out.append(f"claim {claim} must be {' or '.join(verdicts)}")
    if policy.shadow is not None:
        limits = ", ".join(f"{k} {v}" for k, v in policy.shadow.items() if k not in ("ops", "allow_known_divergences"))
        ops = f" on ops {', '.join(policy.shadow['ops'])}" if policy.shadow.get("ops") else ""
        known = "" if policy.shadow.get("allow_known_divergences", True) else "; known divergences count too"
        out.append(f"shadow: {limits}{ops}{known}")
    if policy.replay is not None:
        limits = ", ".join(f"{k} {v}" for k, v in policy.replay.items() if k != "backends")
        out.append(f"replay on {', '.join(policy.replay.get('backends') or ['every target'])}: {limits}")
    if policy.langgraph_tests is not None:
        out.append(lgt_gate.describe(policy.langgraph_tests))
    return out


def _capped(reasons: list[str]) -> list[str]:
    if len(reasons) <= MAX_REASONS_PER_CHECK:
        return reasons
    return reasons[:MAX_REASONS_PER_CHECK] + [f"… and {len(reasons) - MAX_REASONS_PER_CHECK} more of the same check"]


def _check_compat(doc: dict[str, Any], rule: dict[str, Any]) -> list[str]:
    backends, scenarios = rule["backends"], rule["scenarios"]
    cells = [c for c in results.rows(doc, "cells") if backends is None or c.get("backend") in backends]
    if scenarios is not None:
        cells = [c for c in cells if c.get("scenario") in scenarios]
    scope = f"backends {', '.join(backends)}" if backends else "any backend"
    cells = [c for c in cells if c.get("status") != "not-applicable"]  # not run: not evidence either way
    if not cells:
        return [f"compat: no cells ran for {scope} in this run; the gate does not pass on nothing measured"]
    reasons = [f"compat: scenario {s} has no cells for {scope}" for s in scenarios or []
               if not any(c.get("scenario") == s for c in cells)]
    failing = FAILING if rule["allow_known_divergences"] else FAILING + ("known-divergence",)
    for c in cells:
        if c.get("status") in failing:
            findings = f" (finding {', '.join(c['finding_ids'])})" if c.get("finding_ids") else ""
            why = c.get("reason") or "no reason given"
            reasons.append(f"compat: {c.get('id')} is {c.get('status')}: {why}{findings}")
    return reasons


def _x(value: Any) -> str:
    return f"{value:.2f}x" if _num(value) else "?"


def _where(rule: RatioRule) -> str:
    filters = (("flavour", rule.flavour), ("payload", rule.payload), ("pairing", rule.pairing), ("pair", rule.pair))
    parts = [f"{k}={v}" for k, v in filters if v]
    return f" ({', '.join(parts)})" if parts else ""


def _check_ratio(doc: dict[str, Any], rule: RatioRule) -> list[str]:
    rows = [r for r in results.rows(doc, "ratios") if r.get("op") == rule.op
            and all(want is None or str(r.get(k)) == want
                    for k, want in (("flavour", rule.flavour), ("payload", rule.payload), ("pairing", rule.pairing)))
            and (rule.pair is None or f"{r.get('numerator')}/{r.get('denominator')}" == rule.pair)]
    if not rows:
        return [f"performance: no ratio rows for {rule.op}{_where(rule)} in this run ({rule.origin})"]
    reasons = []
    for r in rows:
        flavour = "/".join(str(x) for x in (r.get("flavour"), r.get("loop")) if x)
        label = (f"{r.get('op')} {flavour} {r.get('payload')} {r.get('pairing')} "
                 f"{r.get('numerator')}÷{r.get('denominator')}" + (f" run {r['repeat']}" if (r.get("repeat") or 1) > 1 else ""))
        shown = f"median {_x(r.get('median'))} [{_x(r.get('ci_low'))}, {_x(r.get('ci_high'))}]"
        if rule.min_ci_low is not None:
            low = r.get("ci_low")
            if not _num(low):
                reasons.append(f"performance: {label} has no confidence interval, {rule.origin} needs one")
            elif low < rule.min_ci_low:
                reasons.append(f"performance: {label}: CI low {_x(low)} < {rule.min_ci_low:g} "
                               f"required by {rule.origin} ({shown})")
        if rule.min_median is not None and (not _num(r.get("median")) or r["median"] < rule.min_median):
            reasons.append(f"performance: {label}: median {_x(r.get('median'))} < {rule.min_median:g} "
                           f"required by {rule.origin} ({shown})")
    return reasons


def _check_durability(doc: dict[str, Any], rule: dict[str, Any]) -> list[str]:
    rows = [r for r in results.rows(doc, "durability") if r.get("backend") == rule["backend"]
            and all(rule.get(k) is None or r.get(k) == rule[k] for k in ("settings", "fault"))]
    what = f"{rule['backend']} {rule.get('settings') or ''}".strip()
    if not rows:
        return [f"durability: no crash test for {what} in this run"]
    reasons = []
    for r in rows:
        if not r.get("acknowledged"):
            reasons.append(f"durability: {what} acknowledged no write before the {r.get('fault')}: "
                           "nothing was tested")
            continue
        if (r.get("lost") or 0) > rule["max_lost"]:
            reasons.append(f"durability: {what} lost {r.get('lost')} of {r.get('acknowledged')} acknowledged writes "
                           f"after {r.get('fault')} (allowed {rule['max_lost']})")
        limit = rule.get("max_unresumable")
        if limit is not None and (r.get("unresumable") or 0) > limit:
            reasons.append(f"durability: {what}: {r.get('unresumable')} threads unresumable after {r.get('fault')} "
                           f"(allowed {limit})")
    return reasons


def _check_claims(doc: dict[str, Any], policy: Policy) -> list[str]:
    verdicts = {c.get("id"): c.get("verdict") for c in results.rows(doc, "claims")}
    reasons = []
    for claim, banned in policy.must_not_be.items():
        got = verdicts.get(claim)
        if got is None:
            reasons.append(f"claims: {claim} has no verdict in this run (policy: must not be {' or '.join(banned)})")
        elif got in banned:
            reasons.append(f"claims: {claim} is {got} (policy: must not be {' or '.join(banned)})")
    for claim, wanted in policy.must_be.items():
        got = verdicts.get(claim)
        if got not in wanted:
            reasons.append(f"claims: {claim} is {got or 'without verdict'} (policy: must be {' or '.join(wanted)})")
    return reasons


SHADOW_COUNTS = (("max_divergences", "divergences", "divergences in the reads compared"),
                 ("max_dropped", "dropped", "mirrored writes dropped"),
                 ("max_unreliable_threads", "unreliable_threads", "threads unreliable (a mirrored write dropped)"))


def _check_shadow(doc: dict[str, Any], rule: dict[str, Any]) -> list[str]:
    shadow = doc.get("shadow")
    if not isinstance(shadow, dict):
        return ["shadow: no shadow section in this run (write one with `parity shadow summarize DIR --out RUN_DIR`)"]
    known = shadow.get("divergences_known", 0) if rule.get("allow_known_divergences", True) else 0
    got = {"divergences": shadow.get("divergences", 0) - known, "dropped": dropped(shadow),
           "unreliable_threads": shadow.get("unreliable_threads", 0)}
    reasons = [f"shadow: {got[field]} {words}{f', not counting {known} known' if field == 'divergences' and known else ''} "
               f"(allowed {rule[key]})" for key, field, words in SHADOW_COUNTS if key in rule and got[field] > rule[key]]
    if reads_compared(shadow) < rule["min_reads_compared"]:
        reasons.append(f"shadow: {reads_compared(shadow)} reads compared, the policy needs at least "
                       f"{rule['min_reads_compared']} (raise read_fraction or run longer)")
    for key, ratios, what in (("max_p50_ratio", shadow.get("latency_p50_ratio") or {}, "p50 (log2-bucket edges)"),
                              ("max_mean_ratio", mean_ratios(shadow), "mean")):
        if key in rule:
            reasons += _shadow_ratios(ratios, rule, key, what)
    return reasons


def _shadow_ratios(ratios: dict[str, float], rule: dict[str, Any], key: str, what: str) -> list[str]:
    ops = rule.get("ops") or sorted(ratios)
    if not ops:
        return [f"shadow: no op timed on both sides, {key} has nothing to check"]
    out = []
    for op in ops:
        if op not in ratios:
            out.append(f"shadow: {op} was not timed on both sides, {key} cannot check it")
        elif ratios[op] > rule[key]:
            out.append(f"shadow: {op} candidate ÷ primary {what} latency {_x(ratios[op])} > {rule[key]:g} ({key})")
    return out


def _check_replay(doc: dict[str, Any], rule: dict[str, Any]) -> list[str]:
    replay = doc.get("replay")
    if not isinstance(replay, dict):
        return ["replay: no replay section in this run (write one with `parity replay --from URL --out DIR`)"]
    targets = {str(t.get("backend")): t for t in replay.get("targets") or []}
    reasons = [f"replay: no target {b} in this run (targets: {', '.join(targets) or 'none'})"
               for b in rule.get("backends") or [] if b not in targets]
    for name in rule.get("backends") or list(targets):
        t = targets.get(name)
        if t is None:
            continue
        checks = (("min_threads", t.get("verified", 0) + len(t.get("diverged_threads") or []), "threads compared",
                   lambda got, limit: got < limit, "at least"),
                  ("max_diverged_threads", len(t.get("diverged_threads") or []), "threads diverged",
                   lambda got, limit: got > limit, "allowed"),
                  ("max_errored_threads", len(t.get("errored_threads") or []), "threads errored",
                   lambda got, limit: got > limit, "allowed"))
        reasons += [f"replay: {name}: {got} {words} ({how} {rule[key]})"
                    for key, got, words, worse, how in checks if key in rule and worse(got, rule[key])]
        if "max_read_ratio_ci_low" in rule:  # the target is slower than the source for sure: its CI low above it
            reasons += [f"replay: {name}: {r.get('op')} target ÷ source {_x(r.get('median'))} with CI low "
                        f"{_x(r.get('ci_low'))} > {rule['max_read_ratio_ci_low']:g} (max_read_ratio_ci_low)"
                        for r in t.get("ratios") or [] if _num(r.get("ci_low")) and r["ci_low"] > rule["max_read_ratio_ci_low"]]
    return reasons
