"""Hooks other parts (and users' conftest files) implement to add to the results document."""

from pluggy import HookspecMarker

hookspec = HookspecMarker("pytest")


@hookspec
def pytest_parity_finish(session):
    """Called once before results.json is written, to add rows to the declared sections; the derived results
    (overhead, claim verdicts) are computed after it, by parity/finish.py.

    Example (in a conftest.py)::

        def pytest_parity_finish(session):
            session.add("measurements", {...})  # a row of a section parity/sections.py declares
    """


@hookspec
def pytest_parity_update_json(config, doc):
    """Called once with the finished results document (rows in, derived sections and claim verdicts computed),
    right before it is validated and saved as results.json: add a derived section of your own here. A team's own
    sections go under ``doc["extensions"][NAME]`` (any JSON; the schema declares `extensions` for them, and a
    top-level key no section declares is refused in one line). Not called on xdist workers, nor when the run writes
    no results.json (no --parity-out). Modelled on pytest-benchmark's ``pytest_benchmark_update_json``.

    Example (in a conftest.py)::

        def pytest_parity_update_json(config, doc):
            puts = [r for r in doc["ratios"] if r["op"] == "put"]
            doc.setdefault("extensions", {})["team_put"] = {"ratios": len(puts), "database": "staging"}
    """
