"""The shadow under candidate faults (issue 19, item 2): the app's path keeps working while the candidate stalls or dies."""

from __future__ import annotations

import pytest

from parity.backends.capabilities import Capability as C
from parity.injecting import shadow_faults
from parity.measuring import noise
from parity.measuring.latency import progress
from parity.reasons import not_applicable

# The app's p99 through the shadow is a timing: beside compat (parity/cli/side.py) this study waits for compat's end.
pytestmark = pytest.mark.parity_timed


@pytest.mark.parametrize("isolation", ["thread", "process"])
@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_candidate_stalled_and_killed(parity_session, owned_server, pair_backends, flavour, isolation):
    """Primary the first selected pair's incumbent (the guide's Postgres), candidate its candidate (Redis), on servers
    the suite owns: app traffic through ShadowSaver while the candidate server is SIGSTOPped, SIGCONTed, SIGKILLed
    and restarted. Must hold: zero errors on the app's path, the writes that could
    not be mirrored counted as drops, their threads marked unreliable (not divergent). Measured and reported, not
    asserted: the app's p99 through the shadow over the bare primary in each phase, against the target."""
    pg, rd = pair_backends((C.ASYNC,), candidate_server=True)  # the first selected pair's incumbent and candidate
    primary_server = owned_server(pg.family) if pg.family else None  # an in-process primary needs none
    candidate_server = owned_server(rd.family)
    if getattr(candidate_server, "proc", None) is None:
        not_applicable("server", rd.family, "stalling the candidate needs a server process the suite owns "
                       "(SIGSTOP to an embedded server); this run's servers are containers")
    plan = shadow_faults.FaultPlan()
    def ours() -> set[int]:  # read again at the end: the candidate restarted under a new pid
        servers = (primary_server, candidate_server) if primary_server else (candidate_server,)
        return {ep.pid for ep in (s.endpoint() for s in servers) if ep.pid}
    window = noise.Window(f"shadow faults {flavour} {isolation}", ours).start()
    rows, verdict = shadow_faults.on_servers(pg, rd, primary_server.endpoint() if primary_server else None,
                                             candidate_server, flavour, plan, isolation)
    verdict["noise"] = window.stop()  # what the rest of the machine did meanwhile: the p99 figures move with it
    for row in rows:
        parity_session.add("shadow_faults", row)
        progress(shadow_faults.describe(row))
    parity_session.add("shadow_faults", {"phase": "verdict", "flavour": flavour, "isolation": isolation, **verdict})
    progress(f"shadow faults {flavour} {isolation} verdict: {verdict}")
    broken = shadow_faults.failures(verdict)
    assert not broken, f"{'; '.join(broken)} ({verdict})"
