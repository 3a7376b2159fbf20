"""The conformance bridge: the sync facade forwards to sync methods and exposes only what the saver implements."""

import asyncio

from langgraph.checkpoint.conformance.capabilities import DetectedCapabilities
from langgraph.checkpoint.memory import InMemorySaver

from parity.judging.conformance import sync_facade

from broken_savers import DropsPendingWrites  # noqa: E402  (tests/ is on sys.path under pytest's rootdir import)


def test_facade_capabilities_follow_the_sync_saver():
    detected = {c.value for c in DetectedCapabilities.from_instance(sync_facade(InMemorySaver())).detected}
    assert {"put", "put_writes", "get_tuple", "list", "delete_thread"} <= detected, detected
    assert "prune" not in detected, detected  # InMemorySaver has no prune: the facade must not invent one


def test_facade_calls_the_sync_methods():
    class Spy(InMemorySaver):
        calls: list = []

        def get_tuple(self, config):
            self.calls.append("get_tuple")
            return super().get_tuple(config)

        async def aget_tuple(self, config):  # never used through the facade
            raise AssertionError("the facade must call the sync method")

    spy = Spy()
    asyncio.run(sync_facade(spy).aget_tuple({"configurable": {"thread_id": "t"}}))
    assert spy.calls == ["get_tuple"]


def test_conformance_sees_a_sync_only_bug():
    from langgraph.checkpoint.conformance import checkpointer_test, validate

    @checkpointer_test(name="broken-writes-sync")
    async def factory():
        yield sync_facade(DropsPendingWrites())

    report = asyncio.run(validate(factory, capabilities={"put_writes"}))
    assert report.results["put_writes"].passed is False, report.to_dict()
