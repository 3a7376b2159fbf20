"""Generated inputs (Hypothesis): each property's examples on the cell's saver and on InMemorySaver, judged exactly.

The tests are plain functions so Hypothesis can drive them; an async cell runs its calls on a loop made by the
cell's loop factory, parametrized here as pytest-asyncio does for async tests (same ids, same loops); a sync cell
runs none (its id has no loop).
"""

import pytest

from parity.generated.properties import PROPERTIES
from parity.generated.runner import run_machine, run_property

# A cell runs many examples and may shrink a failure (runner.SHRINK_SECONDS): a longer limit than one scenario's,
# still finite so a hung saver fails its cell.
pytestmark = pytest.mark.timeout(600, method="signal")
LOOP_FIXTURE = "_asyncio_loop_factory"  # pytest-asyncio's fixture: parity.plugin.loop_of() reads the loop from it


def pytest_generate_tests(metafunc) -> None:
    from parity.plugin import _loop_factories, get_session

    if "parity_cell" in metafunc.fixturenames and LOOP_FIXTURE in metafunc.fixturenames:
        factories = _loop_factories(get_session(metafunc.config))
        metafunc.parametrize(LOOP_FIXTURE, list(factories.values()), ids=list(factories), indirect=True)


def test_generated_values(parity_cell, _asyncio_loop_factory):
    """Contract: channel values and pending writes of every type JsonPlusSerializer round-trips (nested, NaN, -0.0,
    big ints, Decimal, NUL, all planes, long strings, bytes, times in several zones, UUID, Enum, sets, tuple keys,
    dataclasses, pydantic, messages) come back exactly as InMemorySaver returns them."""
    run_property(parity_cell, _asyncio_loop_factory, PROPERTIES["values"])


def test_generated_identifiers(parity_cell, _asyncio_loop_factory):
    """Contract: thread ids and namespaces with ':', '|', spaces, '*', '{}', '-', '.', unicode and long ones are
    kept apart and returned as given, exactly as InMemorySaver does."""
    run_property(parity_cell, _asyncio_loop_factory, PROPERTIES["identifiers"])


def test_generated_identifiers_delete(parity_cell, _asyncio_loop_factory):
    """Contract: delete_thread of one generated thread id removes that thread only, whatever its neighbours' ids."""
    run_property(parity_cell, _asyncio_loop_factory, PROPERTIES["identifiers_delete"])


def test_generated_metadata(parity_cell, _asyncio_loop_factory):
    """Contract: generated metadata (nested, unicode, big ints, floats) round-trips and list(filter=...) returns
    the same checkpoints as InMemorySaver."""
    run_property(parity_cell, _asyncio_loop_factory, PROPERTIES["metadata"])


def test_generated_history(parity_cell, _asyncio_loop_factory):
    """Contract: histories of up to 300 checkpoints with forks list newest first, complete, and page with
    before + limit exactly as InMemorySaver does; reads by id return the right checkpoint."""
    run_property(parity_cell, _asyncio_loop_factory, PROPERTIES["history"])


def test_generated_saver_api_sequence(parity_cell, _asyncio_loop_factory):
    """Contract: any sequence of put / put_writes / get_tuple (latest, by id) / list (filter, before, limit) /
    delete_thread in LangGraph's order, on a few threads whose ids nearly collide, observes at every step what
    InMemorySaver observes (a RuleBasedStateMachine; the shrunk sequence is the finding's example)."""
    run_machine(parity_cell, _asyncio_loop_factory)


def test_generated_graph_operations(parity_cell, _asyncio_loop_factory):
    """Contract: any sequence of invoke / stream (interrupting in the graph, in its subgraph, or not), resume,
    update_state, fork and replay from a past checkpoint, get_state(subgraphs=True) and get_state_history on a
    compiled graph whose state holds generated values observes at every step what the same graph on InMemorySaver
    observes (ids compared by their order of appearance; a RuleBasedStateMachine, shrunk to the shortest run)."""
    run_machine(parity_cell, _asyncio_loop_factory, "graph_machine")


def test_generated_top_level_values(parity_cell, _asyncio_loop_factory):
    """Contract: NaN, ±inf, -0.0, 1e20, a whole float past 2**53, ints at 2**63 and 2**64-1, the largest and
    smallest floats and NUL text as whole channel values and whole pending writes come back exactly as InMemorySaver
    returns them (every one in every example)."""
    run_property(parity_cell, _asyncio_loop_factory, PROPERTIES["top_values"])


def test_generated_list_arguments(parity_cell, _asyncio_loop_factory):
    """Contract: list() with filter values None (a missing key too), True vs 1, 1 vs 1.0, 0 vs False, nested values,
    unknown keys, limit 0 and negative, and before= naming no checkpoint id returns what InMemorySaver returns."""
    run_property(parity_cell, _asyncio_loop_factory, PROPERTIES["list_arguments"])
