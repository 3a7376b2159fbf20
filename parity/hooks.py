"""Hooks other parts (and users' conftest files) implement to add to the results document."""

from pluggy import HookspecMarker

hookspec = HookspecMarker("pytest")


@hookspec
def pytest_parity_finish(session):
    """Called once before results.json is written, to add rows or sections; the derived results (overhead, claim
    verdicts) are computed after it, by parity/finish.py.

    Example (in a conftest.py)::

        def pytest_parity_finish(session):
            session.add("team_notes", {"note": "measured on the staging database"})
    """
