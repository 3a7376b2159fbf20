"""Modules (C7): a saver that needs server modules, and the suite's preflight, on a server of its family without them."""

from __future__ import annotations

import uuid
from typing import Any

from parity.errors import ParityUsageError
from parity.injecting import common


def without_modules(server, backend) -> dict[str, Any]:
    """What a user sees from setup() and a graph run, and what the suite's preflight says (the saver's needs judged
    on the server's probe, with the fix), on a server started without its modules (Lever.WITHOUT_MODULES)."""
    from parity.families import probe

    scope = f"mod_{uuid.uuid4().hex[:8]}"
    try:
        with common.open_saver(backend, server.endpoint(), scope) as saver:
            common.builder().compile(checkpointer=saver).invoke(common.start_input(1), common.config("m"))
        saver_error = None
    except Exception as exc:  # the user-facing error is the observation
        saver_error = common.error_text(exc)
    found = probe(backend.family, server.url)
    unmet = backend.needs.unmet(found) if backend.needs else None
    # the line a run stops with when no selected saver of the family fits (parity.backends.backend.refuse_unfit)
    preflight = ParityUsageError(unmet, backend.needs.fix_for(found)).line() if unmet else None
    needed = "/".join(label for _, label in backend.needs.modules) if backend.needs else "modules"
    return {"backend": backend.name, "case": f"{server.endpoint().family} without {needed}",
            "observed": f"saver: {saver_error or 'worked'}; preflight: {preflight or 'passed'}",
            "saver_error": saver_error, "preflight": preflight}
