"""A pytest plugin the fault study (tests/test_server_faults.py) loads into a real `parity run`: at a stated point it does
to one of the run's own servers what an OOM killer or a stuck host would, and writes down what it did.

PARITY_TEST_FAULT="FAMILY:ACTION:N[,FAMILY:ACTION:N...]": at the Nth cell on a FAMILY backend (counting cells that
reach their test body), ACTION the session's server of that family:
  "kill"      after that cell ended: SIGKILL to the server's whole process group, as kill -9;
  "killcall"  as that cell's test body starts: the cell itself meets the death;
  "stall"     after that cell ended: SIGSTOP, never continued here (closing the server must still stop it).
PARITY_TEST_FAULT_LOG: a JSON file, one record per fault done (the server's pid, data dir, when, at which cell).
"""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

_state: dict = {"config": None, "seen": {}, "done": []}


def _specs() -> list[tuple[str, str, int]]:
    raw = os.environ.get("PARITY_TEST_FAULT") or ""
    return [(f, a, int(n)) for f, a, n in (part.split(":") for part in raw.split(",") if part)]


def _due(nodeid: str, when: str) -> list[tuple[str, str, int]]:
    """The faults due at this point: counted per family, at the start of a cell's body."""
    out = []
    for spec in _specs():
        family, action, n = spec
        if f"[{family}-" in nodeid and ((action == "killcall") == (when == "call")) and spec not in _state["done"]:
            if _state["seen"].get(family, 0) == n:
                out.append(spec)
    return out


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item) -> None:
    for family in {s[0] for s in _specs()}:
        if f"[{family}-" in item.nodeid:
            _state["seen"][family] = _state["seen"].get(family, 0) + 1
    for spec in _due(item.nodeid, "call"):
        _fire(spec, item.nodeid)


@pytest.hookimpl(trylast=True)
def pytest_runtest_logreport(report) -> None:
    if report.when == "teardown":
        for spec in _due(report.nodeid, "after"):
            _fire(spec, report.nodeid)


def _fire(spec: tuple[str, str, int], nodeid: str) -> None:
    from parity.plugin import get_session

    _state["done"].append(spec)
    family, action, _ = spec
    ep = get_session(_state["config"]).pool.get(family)
    record = {"family": family, "action": action, "pid": ep.pid, "data_dir": ep.data_dir, "at": time.time(),
              "cell": nodeid}
    if action == "stall":
        os.kill(ep.pid, signal.SIGSTOP)
    else:
        os.killpg(ep.pid, signal.SIGKILL)  # the server started in a session of its own: pgid == pid
    path = os.environ["PARITY_TEST_FAULT_LOG"]
    done = json.loads(open(path).read()) if os.path.exists(path) else []
    with open(path, "w") as fh:
        json.dump(done + [record], fh)


def pytest_configure(config) -> None:
    _state["config"] = config
