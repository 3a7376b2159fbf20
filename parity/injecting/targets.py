"""Which backends a fault study runs on: the incumbents and candidates of the run's pairs (parity.roles), chosen by the
capabilities their savers declare and the fault levers their families declare (Family.fault_levers), never by name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from parity import families, roles
from parity.backends.capabilities import Capability as C
from parity.families.base import Lever
from parity.reasons import Reason

ROLES = ("candidate", "incumbent")
# Every fault study drives a sync saver (the graph runs in the study's thread).
NEEDED = (C.SYNC,)


@dataclass(frozen=True)
class Target:
    """One item of a study: the backend it runs on, or (backend None) why the role's backends cannot host it."""

    id: str  # the item id's part: the backend's name, or the role's when none of it is selected
    backend: Any = None
    reason: Reason | None = None


def why_not(backend, caps: Iterable[C] = (), levers: Iterable[Lever] = (), lacking: Iterable[C] = (),
            server: bool = True) -> Reason | None:
    """Why `backend` cannot host a study needing caps (and, with server, a server of its own whose family declares
    the levers) about savers without `lacking`; None: it can."""
    if backend.unfit:
        return Reason("server", backend.family or backend.name, backend.unfit)
    if server and not (backend.family and backend.has(C.SERVER)):
        return Reason("capability", C.SERVER.value, f"{backend.name} runs in-process: no server of its own to fault")
    missing = backend.missing(*NEEDED, *caps)
    if missing:
        names = ", ".join(c.value for c in missing)
        return Reason("capability", names, f"{backend.name} lacks capability {names}")
    present = [c.value for c in lacking if c in backend.capabilities]
    if present:
        return Reason("capability", ", ".join(present), f"{backend.name} declares {', '.join(present)}: this study "
                      "is about a saver without it")
    if not levers:
        return None
    family = families.get(backend.family)
    absent = [lever.value for lever in levers if lever not in family.fault_levers]
    if absent:
        return Reason("study", ", ".join(absent), f"the {family.title} family ({backend.family}) declares no "
                      f"{', '.join(absent)} fault lever (Family.fault_levers), so {backend.name} cannot be studied so")
    return None


def _of_role(pairs, role: str) -> list[str]:
    if role not in ROLES:
        raise ValueError(f"fault_on: a role is one of {ROLES}, got {role!r}")
    return roles.candidates(pairs) if role == "candidate" else roles.incumbents(pairs)


def for_roles(backends, pairs, wanted: Iterable[str], caps: Iterable[C] = (), levers: Iterable[Lever] = (),
              lacking: Iterable[C] = ()) -> list[Target]:
    """Per role, per server family of the role's selected backends (in --pair order): the first backend fit for the
    study, else one target saying why the family's first backend is not; a role with no selected backend: one target
    saying so. A backend playing both roles is one target. The default pairs give what the studies ran on before
    roles: the first full Redis and Postgres savers (test_ttl_expiry[redis], test_bytes_per_checkpoint[postgres])."""
    caps, levers, lacking = tuple(caps), tuple(levers), tuple(lacking)
    selected = {b.name: b for b in backends}
    out: dict[str, Target] = {}
    for role in wanted:
        names = [n for n in _of_role(pairs, role) if n in selected]
        if not names:
            out.setdefault(role, Target(role, reason=Reason(
                "selection", role, f"no {role} of the pairs {roles.said(pairs)} is among the selected backends")))
            continue
        groups: dict[str, list] = {}
        for name in names:
            groups.setdefault(selected[name].family or name, []).append(selected[name])
        for group in groups.values():
            fit = next((b for b in group if why_not(b, caps, levers, lacking) is None), None)
            chosen = fit or group[0]
            if chosen.name not in out:
                out[chosen.name] = Target(chosen.name, fit, None if fit else why_not(chosen, caps, levers, lacking))
    return list(out.values())


def pair_for(backends, pairs, incumbent_caps: Iterable[C] = (), candidate_caps: Iterable[C] = (),
             candidate_server: bool = False) -> tuple[Any, Any] | Reason:
    """(incumbent, candidate) backends of the first pair (in --pair order) whose two backends are selected and fit
    a two-backend study (a migration, the shadow); else why the first selected pair does not fit, or that none is
    selected. An incumbent may run in-process; the candidate needs a server of its own when candidate_server."""
    selected = {b.name: b for b in backends}
    chosen = [(selected[p.incumbent], selected[p.candidate]) for p in pairs
              if p.incumbent in selected and p.candidate in selected]
    if not chosen:
        return Reason("selection", "pair", f"no pair of {roles.said(pairs)} has both backends selected")
    first_reason = None
    for inc, cand in chosen:
        why = (why_not(inc, incumbent_caps, server=False)
               or why_not(cand, candidate_caps, server=candidate_server))
        if why is None:
            return inc, cand
        first_reason = first_reason or why
    return first_reason


def param(target: Target, value: Any = None):
    """A target as a pytest.param (value: what the test gets, default the backend's name), marked not-applicable
    with its reason when no backend fits."""
    import pytest

    from parity import reasons

    if target.backend is not None:
        return pytest.param(target.backend.name if value is None else value, id=target.id)
    why = target.reason
    return pytest.param(None, id=target.id, marks=[reasons.marker(why.kind, why.subject, why.text)])
