"""Modules (C7): the saver and the preflight against a server of its family without the modules the saver needs."""

from __future__ import annotations

import uuid
from typing import Any

from parity.errors import ParityUsageError
from parity.injecting import common


def without_modules(server, backend) -> dict[str, Any]:
    """What a user sees from setup() and a graph run, and what the suite's preflight says, on a server started
    without its modules (the embedded class's modules=False)."""
    from parity.families import probe

    scope = f"mod_{uuid.uuid4().hex[:8]}"
    try:
        with common.open_saver(backend, server.endpoint(), scope) as saver:
            common.builder().compile(checkpointer=saver).invoke(common.start_input(1), common.config("m"))
        saver_error = None
    except Exception as exc:  # the user-facing error is the observation
        saver_error = common.error_text(exc)
    try:
        probe(backend.family, server.url)
        preflight = None
    except ParityUsageError as exc:
        preflight = exc.line()
    return {"backend": backend.name, "case": f"{server.endpoint().family} without RedisJSON/RediSearch",
            "observed": f"saver: {saver_error or 'worked'}; preflight: {preflight or 'passed'}",
            "saver_error": saver_error, "preflight": preflight}
