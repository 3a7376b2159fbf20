"""C10: acknowledged checkpoints lost and threads unresumable after SIGKILL and SIGTERM, per persistence setting."""

from __future__ import annotations

import pytest

from parity.backends.capabilities import Capability
from parity.injecting import durability

N_THREADS = 20  # 60 acknowledged checkpoints per fault: enough to see a partial loss, seconds per setting


NEEDS = (Capability.PERSISTENCE_CONTROL, Capability.FULL_HISTORY)


def pytest_generate_tests(metafunc) -> None:
    """Each durability setting its family declares (Family.durability_settings) on the first backend of that family
    among the pairs' candidates and incumbents fit for the study (as fault_on picks it); the id names that backend.
    A family declaring none, or a role with no fit backend, is one not-applicable item with the reason."""
    if "durability_case" not in metafunc.fixturenames:
        return
    from parity.injecting import targets
    from parity.plugin import get_session
    from parity.reasons import Reason

    session = get_session(metafunc.config)
    params = []
    for target in targets.for_roles(session.backends, session.pairs, targets.ROLES, NEEDS):
        settings = durability.settings_of(target.backend.family) if target.backend else ()
        if target.backend and not settings:
            target = targets.Target(target.id, reason=Reason("study", target.backend.family, (
                f"the {target.backend.family} family declares no durability settings (Family.durability_settings)")))
        if not target.backend:
            params.append(targets.param(target))
        for setting in settings:
            label = setting.label.replace(" ", "_")
            params.append(pytest.param((setting, target.backend.name), id=f"{target.backend.name}-{label}"))
    metafunc.parametrize("durability_case", params)


@pytest.mark.parity_claim("C10")
def test_durability(durability_case, parity_session, owned_server):
    """Contract: after SIGKILL, no persistence loses writes; AOF always and synchronous_commit=on lose none."""
    setting, name = durability_case
    backend = next(b for b in parity_session.backends if b.name == name)
    server = owned_server(setting.family, setting.settings)
    rows = durability.run_setting(server, backend, setting, N_THREADS)
    for row in rows:
        parity_session.add("durability", row)
    assert all(r["acknowledged"] == 3 * N_THREADS for r in rows), f"expected {3 * N_THREADS} acknowledged, got {rows}"
    violations = durability.physics_violations(rows)
    assert not violations, "; ".join(violations)
