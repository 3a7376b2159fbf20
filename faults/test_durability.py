"""C10: acknowledged checkpoints lost and threads unresumable after SIGKILL and SIGTERM, per persistence setting."""

from __future__ import annotations

import pytest

from parity.backends.capabilities import Capability
from parity.injecting import durability

N_THREADS = 20  # 60 acknowledged checkpoints per fault: enough to see a partial loss, seconds per setting


@pytest.mark.parity_claim("C10")
@pytest.mark.parametrize("setting", durability.SETTINGS, ids=lambda s: f"{s.family}-{s.label.replace(' ', '_')}")
def test_durability(setting, parity_session, owned_server, pick_backend):
    """Contract: after SIGKILL, no persistence loses writes; AOF always and synchronous_commit=on lose none."""
    backend = pick_backend(setting.family, Capability.PERSISTENCE_CONTROL, Capability.FULL_HISTORY)
    server = owned_server(setting.family, setting.settings)
    rows = durability.run_setting(server, backend, setting, N_THREADS)
    for row in rows:
        parity_session.add("durability", row)
    assert all(r["acknowledged"] == 3 * N_THREADS for r in rows), f"expected {3 * N_THREADS} acknowledged, got {rows}"
    violations = durability.physics_violations(rows)
    assert not violations, "; ".join(violations)
