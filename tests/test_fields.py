"""Every field of every LangGraph type that crosses a saver, as the installed langgraph declares it, is filled by a
generator (parity/generated/fields.py): a new field in a LangGraph release fails this test until a strategy fills it."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from parity.generated import fields
from parity.generated import strategies as gs


def _drawn(strategy, n: int = 150) -> dict[str, set[str]]:
    """Which fields of the STORED types took a non-default value in n examples of the strategy."""
    seen: dict[str, set[str]] = {}

    @settings(max_examples=n, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def draw(value):
        fields.filled(value, seen)
        if isinstance(value, dict):  # metadata: LangGraph's keys are the fields
            seen.setdefault("CheckpointMetadata", set()).update(value)
    draw()
    return seen


def _put_checkpoint() -> dict[str, set[str]]:
    """The fields the put op fills in the checkpoint it hands to put()."""
    import asyncio

    from parity.generated.ops import run_op

    class Keep:
        def put(self, config, checkpoint, metadata, new_versions):
            self.checkpoint = checkpoint
            return config
    saver = Keep()
    asyncio.run(run_op(saver, False, "p~", ("put", "t", "", "1ef00001", None, {"a": 1}, {}), {}))
    return {"Checkpoint": {k for k, v in saver.checkpoint.items() if v not in (None, {}, [])}}


def test_every_installed_field_of_a_stored_type_is_filled_by_a_generator():
    installed = fields.installed()
    assert set(installed) >= {"Interrupt", "Send", "Command", "CheckpointMetadata", "Checkpoint"}, installed
    seen = {**_drawn(gs.values(8)), **_drawn(gs.langgraph_metadata()), **_put_checkpoint()}
    missing = {name: sorted(set(names) - seen.get(name, set())) for name, names in installed.items()}
    missing = {name: m for name, m in missing.items() if m}
    assert not missing, (f"fields of the installed langgraph no generator fills: {missing}; fill them in "
                         f"parity/generated/strategies.py ({fields.FILLED_BY}) and judge them")


def test_the_self_test_fails_on_a_field_no_strategy_fills():
    """A type that gained a field (as Interrupt gained response_schema in langgraph 1.2) is reported."""
    import dataclasses

    @dataclasses.dataclass
    class Interrupt:  # the installed one, plus a field from a future release
        value: object
        id: str = ""
        response_schema: object = None
        resumable_by: object = None

    seen: dict[str, set[str]] = {}
    fields.filled(Interrupt(1, "i", {"type": "string"}), seen)
    assert set(fields.fields_of(Interrupt)) - seen["Interrupt"] == {"resumable_by"}
