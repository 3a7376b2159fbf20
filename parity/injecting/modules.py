"""Modules (C7): the saver and the preflight against a Redis without RedisJSON and RediSearch."""

from __future__ import annotations

import uuid
from typing import Any

from parity.errors import ParityUsageError
from parity.injecting import common


def without_modules(server, backend) -> dict[str, Any]:
    """What a user sees from setup() and a graph run, and what the suite's preflight says, on a bare Redis."""
    from parity.families import probe

    scope = f"mod_{uuid.uuid4().hex[:8]}"
    try:
        with common.open_saver(backend, server.endpoint(), scope) as saver:
            common.builder().compile(checkpointer=saver).invoke(common.start_input(1), common.config("m"))
        saver_error = None
    except Exception as exc:  # the user-facing error is the observation
        saver_error = common.error_text(exc)
    try:
        probe("redis", server.url)
        preflight = None
    except ParityUsageError as exc:
        preflight = exc.line()
    return {"backend": backend.name, "case": "redis without RedisJSON/RediSearch",
            "observed": f"saver: {saver_error or 'worked'}; preflight: {preflight or 'passed'}",
            "saver_error": saver_error, "preflight": preflight}
