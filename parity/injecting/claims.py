"""Verdicts on C7, C8, C9, C10, C14, C15 computed only from the results document's fault rows."""

from __future__ import annotations

from typing import Any

from parity import roles
from parity.verdicts import claim, combine

# Each claim here is about the candidate store (the guide's Redis): its modules, TTL, memory, persistence, cluster,
# and the rollback from it. A study that ran on a backend no --pair names as candidate is no evidence about the pairs.


def _on_candidates(doc: dict[str, Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of a candidate backend (C14's "incumbent->candidate" rows: of a pair)."""
    pairs = roles.of(doc)
    keep = set(roles.candidates(pairs)) | {f"{p.incumbent}->{p.candidate}" for p in pairs}
    return [r for r in rows if r.get("backend") in keep]


def _elsewhere(doc: dict[str, Any], cid: str, rows: list[dict[str, Any]]) -> dict | None:
    """not-testable-here when the study ran, but only on backends that are no candidate of this run's pairs."""
    if not rows or _on_candidates(doc, rows):
        return None
    ran = ", ".join(sorted({str(r.get("backend")) for r in rows}))
    pairs = roles.of(doc)
    return roles.judged(claim(cid, "not-testable-here", f"the study ran on {ran}, which no pair of this run has as "
                              f"its candidate ({roles.said(pairs)}): it says nothing about them"), pairs)


def _rows(doc: dict[str, Any], claim_id: str) -> list[dict[str, Any]]:
    """The claim's fault rows on the pairs' backends (the incumbent's beside, e.g. "Postgres has no TTL"), when the
    study ran on a candidate at all; else none (verdicts() then says where it ran)."""
    rows = [r for r in doc.get("faults", []) if r.get("claim") == claim_id]
    if not _on_candidates(doc, rows):
        return []
    members = set(roles.members(roles.of(doc)))
    return [r for r in rows if r.get("backend") in members or r in _on_candidates(doc, rows)]


def _declared(rows: list[dict[str, Any]], keeps: bool, label: str) -> dict[str, Any] | None:
    """The kill row of the setting the family declares as losing writes (keeps=False) or keeping them (True):
    `must_keep_on_kill` on the row (Family.durability_settings); a document from before it carries the Redis label."""
    declared = [r for r in rows if "must_keep_on_kill" in r]
    if declared:
        return next((r for r in declared if r["must_keep_on_kill"] is keeps), None)
    return next((r for r in rows if r["settings"] == label), None)


def c10(doc: dict[str, Any]) -> dict | None:
    rows = _on_candidates(doc, [r for r in doc.get("durability", []) if r.get("fault") == "kill"])
    if not rows:
        return None
    by = {r["settings"]: r for r in rows}  # one candidate: the study runs on the first of its family
    evidence = [f"{r['backend']} {r['settings']} {r['fault']}: lost {r['lost']}/{r['acknowledged']} checkpoints, "
                f"{r['unresumable']} threads unresumable" for r in doc.get("durability", [])]
    none, safe = _declared(rows, False, "no persistence"), _declared(rows, True, "AOF always")
    if none is None or safe is None:
        return claim("C10", "not-testable-here", "the run without persistence or the one with the most durable "
                     "persistence the family declares is missing", evidence)
    empty = [r["settings"] for r in (none, safe) if not r["acknowledged"]]
    if empty:  # nothing acknowledged: "lost 0" would say nothing about persistence
        return claim("C10", "not-testable-here", f"the {rows[0]['backend']} {' and '.join(empty)} run acknowledged "
                     "no checkpoints before the kill, so nothing could be lost or kept", evidence)
    lost_without = none["lost"] > 0
    kept_with = safe["lost"] == 0 and safe["unresumable"] == 0
    others = [r for r in by.values() if r is not none and r is not safe and r.get("must_keep_on_kill") is None]
    reason = (f"after SIGKILL {rows[0]['backend']} with {none['settings']} lost {none['lost']}/{none['acknowledged']} "
              f"checkpoints, {safe['settings']} lost {safe['lost']}"
              + "".join(f", {r['settings']} lost {r['lost']}/{r['acknowledged']}" for r in others)
              + "; a process kill keeps the OS page cache, so fsync policy (everysec vs always) is not what decides it here")
    verdict = "confirmed" if lost_without and kept_with else ("refuted" if not lost_without else "partly")
    return claim("C10", verdict, reason, evidence)


def c8(doc: dict[str, Any]) -> dict | None:
    rows = _rows(doc, "C8")
    if not rows:
        return None
    checks = []
    for r in rows:
        if "as_documented" in r:
            checks.append("confirmed" if r["as_documented"] else "partly")
        elif "seconds_until_gone" in r:
            checks.append("confirmed" if r["seconds_until_gone"] is not None and not r["reads"]["half"]
                          and not r["keys_left"] and not r["keys_without_ttl"] else "partly")
    if not checks:
        return claim("C8", "not-testable-here", "no Redis TTL run in this document", [r["observed"] for r in rows])
    verdict = combine(checks)
    failed = [f"{r['case']}: {r['observed']}" for r, c in zip([r for r in rows if "as_documented" in r
                                                               or "seconds_until_gone" in r], checks) if c != "confirmed"]
    reason = ("Redis TTL expired checkpoints and writes together with no half-expired read and refresh_on_read as "
              "documented; Postgres has no TTL (delete_thread or a prune job needed)" if verdict == "confirmed"
              else "Redis TTL cleans up, but not as documented in every check: " + "; ".join(failed)[:300])
    return claim("C8", verdict, reason, [f"{r['backend']} {r['case']}: {r['observed']}" for r in rows])


def c9(doc: dict[str, Any]) -> dict | None:
    rows = _rows(doc, "C9")
    oom = next((r for r in rows if "noeviction" in r.get("case", "")), None)
    if oom is None:
        return None
    evidence = [f"{r['backend']} {r['case']}: {r['observed']}" for r in rows]
    said = bool(oom.get("error")) and "command not allowed" in oom["error"]
    bad = {k for k in {**oom["read_at_limit"], **oom["after_limit_raised"]} if k.startswith(("broken", "other", "resumed to"))}
    failed = oom.get("failed_thread_after") or ""
    # A thread that looks finished though its nodes never ran misleads a reader even if re-sending recovers it.
    if failed and ("recovers it" not in failed or "looking finished" in failed):
        bad.add(f"unacknowledged thread: {failed}")
    if said and not bad:
        verdict, reason = "confirmed", ("at maxmemory with noeviction the graph gets \"command not allowed when used "
                                        f"memory > 'maxmemory'\" (as {oom['error'].split(':')[0]}; redis-py turns the "
                                        "OOM prefix into the exception type); every acknowledged thread read as its "
                                        "last good checkpoint and resumed once memory was raised"
                                        + (f"; the thread that hit the limit: {failed}" if failed else ""))
    else:
        verdict, reason = "partly", f"error {oom.get('error')!r}; thread states {sorted(bad) or 'ok'}"
    return claim("C9", verdict, reason, evidence)


def c7(doc: dict[str, Any]) -> dict | None:
    rows = _rows(doc, "C7")
    if not rows:
        return None
    r = rows[0]
    if r.get("saver_error") and r.get("preflight"):
        return claim("C7", "confirmed", "without RedisJSON/RediSearch the saver fails (" + r["saver_error"][:100]
                     + ") and the preflight names the fix", [r["observed"]])
    return claim("C7", "refuted" if not r.get("saver_error") else "partly", r["observed"][:200], [r["observed"]])


def c14(doc: dict[str, Any]) -> dict | None:
    rows = _rows(doc, "C14")
    r = next((x for x in rows if "absent_after_rollback" in x), None)
    if r is None:
        return None
    evidence = [f"{x['backend']} {x['case']}: {x['observed']}" for x in rows]
    old, _, new = str(r["backend"]).partition("->")  # the pair migrated: incumbent->candidate
    if not r.get("migration_verified"):
        return claim("C14", "partly", f"the copy to {new} did not verify, so the rollback could not be judged "
                     "cleanly", evidence)
    if r.get("resume_errors"):  # the copy verified, but the candidate cannot go on from what it copied
        return claim("C14", "partly", f"threads copied from {old} verified on {new}, but "
                     f"{r['moved_to_resume'] - r['resumed_after_move']}/{r['moved_to_resume']} did not resume there, "
                     "so the rollback could not be judged cleanly: " + "; ".join(r["resume_errors"])[:200], evidence)
    if r["absent_after_rollback"] or r.get("stale_after_rollback"):
        return claim("C14", "refuted", f"reinstalling the {old} saver loses {r['absent_after_rollback']}/"
                     f"{r['created_after_move']} threads created on {new} after the move and shows "
                     f"{r.get('stale_after_rollback', 0)} resumed threads at their pre-move state; copy back first "
                     f"(parity migrate --from {new}'s URL --to {old}'s)", evidence)
    return claim("C14", "confirmed", f"threads created on {new} after the move were present in {old}", evidence)


def c15(doc: dict[str, Any]) -> dict | None:
    rows = _rows(doc, "C15")
    if not rows:
        return None
    r = rows[0]
    if not r.get("formed"):
        return claim("C15", "not-testable-here", r["observed"][:200], [r["observed"]])
    results = list(r.get("scenarios", {}).values())
    if not results:  # formed, but no saver scenario outcome recorded: nothing to judge
        return claim("C15", "not-testable-here", "the cluster formed but no saver scenario ran on it: "
                     + r["observed"][:160], [r["observed"]])
    ok = sum(v == "ok" for v in results)
    verdict = "confirmed" if ok == len(results) else ("refuted" if ok == 0 else "partly")
    return claim("C15", verdict, f"on a 3-master cluster {ok}/{len(results)} saver scenarios worked: "
                 + "; ".join(f"{k}: {v[:60]}" for k, v in r["scenarios"].items() if v != "ok"), [r["observed"]])


STUDIED = {"C7": "faults", "C8": "faults", "C9": "faults", "C10": "durability", "C14": "faults", "C15": "faults"}


def verdicts(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Claim rows for what this run measured, each saying the pairs it judged; claims with no fault rows are left to
    the default, and a study run only on backends no pair has as candidate says so."""
    out = []
    for fn in (c7, c8, c9, c10, c14, c15):
        cid = fn.__name__.upper()
        row = fn(doc)
        if row is None:
            ran = [r for r in doc.get(STUDIED[cid], []) if r.get("claim", cid) == cid]
            row = _elsewhere(doc, cid, ran)
        if row is not None:
            out.append(roles.judged(row, roles.of(doc)))
    return out
