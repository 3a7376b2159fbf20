"""A finding names the releases it was seen on: the saver's distribution is found from the class that ran (several
distributions share the `langgraph` namespace), and a merged document keeps each run's set."""

from __future__ import annotations

import contextlib
from importlib import metadata

from parity import versions
from parity.backends.backend import Backend, SaverContext
from parity.backends.capabilities import Capability


def test_each_official_saver_class_is_found_in_its_own_distribution():
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.checkpoint.postgres import PostgresSaver
    from langgraph.checkpoint.redis.aio import AsyncRedisSaver
    from langgraph.checkpoint.sqlite import SqliteSaver

    found = {cls.__name__: versions.distribution_of(cls.__module__)
             for cls in (InMemorySaver, PostgresSaver, AsyncRedisSaver, SqliteSaver)}
    assert found == {"InMemorySaver": "langgraph-checkpoint", "PostgresSaver": "langgraph-checkpoint-postgres",
                     "AsyncRedisSaver": "langgraph-checkpoint-redis", "SqliteSaver": "langgraph-checkpoint-sqlite"}
    assert versions.distribution_of("tests.broken_savers") is None, "a team's own file belongs to no distribution"
    assert versions.distribution_of("no.such.module") is None


def test_seen_on_names_langgraph_the_checkpoint_base_and_the_saver():
    from langgraph.checkpoint.redis import RedisSaver

    seen = versions.seen_on({RedisSaver})
    assert seen == {"langgraph": metadata.version("langgraph"),
                    "langgraph-checkpoint": metadata.version("langgraph-checkpoint"),
                    "langgraph-checkpoint-redis": metadata.version("langgraph-checkpoint-redis")}
    assert list(versions.seen_on()) == ["langgraph", "langgraph-checkpoint"]


def test_a_backend_notes_the_class_its_factory_gave_on_either_flavour():
    import asyncio

    from langgraph.checkpoint.memory import InMemorySaver

    class Other(InMemorySaver):
        pass

    @contextlib.contextmanager
    def sync(ctx):
        yield InMemorySaver()

    @contextlib.asynccontextmanager
    async def async_(ctx):
        yield Other()

    backend = Backend("b", None, frozenset({Capability.SYNC, Capability.ASYNC}), sync, async_, "test")
    with backend.saver("sync", SaverContext(None, "s")) as saver:
        assert type(saver) is InMemorySaver

    async def open_async():
        async with backend.saver("async", SaverContext(None, "s")) as saver:
            return type(saver)
    assert asyncio.run(open_async()) is Other
    assert backend.saver_classes == {InMemorySaver, Other}


def test_a_merged_finding_keeps_each_distinct_set_and_the_report_line_names_them():
    low = {"langgraph": "1.0.6", "langgraph-checkpoint": "4.3.0", "langgraph-checkpoint-redis": "0.5.2"}
    new = {**low, "langgraph": "1.2.24", "langgraph-checkpoint": "4.3.2"}
    assert versions.merged([low, new, dict(low)]) == [low, new]
    group = [{"versions": [low]}, {"versions": [new]}, {"versions": None}, {}]
    assert versions.of_group(group) == [
        "langgraph 1.0.6, langgraph-checkpoint 4.3.0, langgraph-checkpoint-redis 0.5.2",
        "langgraph 1.2.24, langgraph-checkpoint 4.3.2, langgraph-checkpoint-redis 0.5.2"]
    assert versions.of_group([{"id": "old document"}]) == []
