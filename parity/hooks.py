"""Hooks other parts (and users' conftest files) implement to add to the results document."""

from pluggy import HookspecMarker

hookspec = HookspecMarker("pytest")


@hookspec
def pytest_parity_finish(session):
    """Called once before results.json is written: compute claim verdicts from the rows, add sections.

    Example (in a conftest.py)::

        def pytest_parity_finish(session):
            session.add("claims", {"id": "C12", "verdict": "partly", "reason": "...", "evidence": []})
    """
