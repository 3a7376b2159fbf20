"""C10: acknowledged checkpoints lost and threads unresumable after SIGKILL and SIGTERM, per persistence setting."""

from __future__ import annotations

import pytest

from parity.backends.capabilities import Capability
from parity.injecting import durability

N_THREADS = 20  # 60 acknowledged checkpoints per fault: enough to see a partial loss, seconds per setting


NEEDS = (Capability.PERSISTENCE_CONTROL, Capability.FULL_HISTORY)


def pytest_generate_tests(metafunc) -> None:
    """Each setting on the first selected backend of its family (as fault_on picks it); the id names that backend."""
    if "durability_case" not in metafunc.fixturenames:
        return
    from parity import reasons
    from parity.injecting.common import first_backend
    from parity.plugin import get_session

    backends = get_session(metafunc.config).backends
    params = []
    for setting in durability.SETTINGS:
        backend, why_not = first_backend(backends, setting.family, NEEDS)
        label = setting.label.replace(" ", "_")
        if backend is not None:
            params.append(pytest.param((setting, backend.name), id=f"{backend.name}-{label}"))
        else:
            params.append(pytest.param((setting, None), id=f"{setting.family}-{label}",
                                       marks=[reasons.marker("selection", setting.family, why_not)]))
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
