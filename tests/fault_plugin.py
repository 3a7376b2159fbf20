"""A pytest plugin the fault study (tests/test_server_faults.py) loads into a real `parity run`: at a stated point it does
to one of the run's own servers what an OOM killer or a stuck host would, and writes down what it did.

PARITY_TEST_FAULT="FAMILY:ACTION:N": after the Nth finished cell on a FAMILY backend, ACTION the session's server of
that family: "kill" (SIGKILL to its whole process group, as kill -9) or "stall" (SIGSTOP, never continued by us:
closing the server must still stop it). PARITY_TEST_FAULT_LOG: a JSON file with the server's pid, data dir and when.
"""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

_done = {"cells": 0, "fired": False, "config": None}


def _spec() -> tuple[str, str, int] | None:
    raw = os.environ.get("PARITY_TEST_FAULT")
    if not raw:
        return None
    family, action, after = raw.split(":")
    return family, action, int(after)


@pytest.hookimpl(trylast=True)
def pytest_runtest_logreport(report) -> None:
    spec = _spec()
    if spec is None or _done["fired"] or report.when != "call" or f"[{spec[0]}-" not in report.nodeid:
        return
    _done["cells"] += 1
    if _done["cells"] < spec[2]:
        return
    _done["fired"] = True
    from parity.plugin import get_session

    ep = get_session(_done["config"]).pool.get(spec[0])
    pid = ep.pid
    record = {"family": spec[0], "action": spec[1], "pid": pid, "data_dir": ep.data_dir, "at": time.time(),
              "after_cell": report.nodeid}
    if spec[1] == "kill":
        os.killpg(pid, signal.SIGKILL)  # the server started in a session of its own: pgid == pid
    else:
        os.kill(pid, signal.SIGSTOP)
    with open(os.environ["PARITY_TEST_FAULT_LOG"], "w") as fh:
        json.dump(record, fh)


def pytest_configure(config) -> None:
    _done["config"] = config
