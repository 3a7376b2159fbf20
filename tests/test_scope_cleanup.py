"""What the suite leaves on a Redis it did not start: nothing of its own scope, and everything of anyone else's."""

from __future__ import annotations

from parity import families
from parity.measuring import ops


def _step(saver, thread: str, task: str):
    from langgraph.checkpoint.base import create_checkpoint, empty_checkpoint

    cfg = saver.put({"configurable": {"thread_id": thread, "checkpoint_ns": ""}},
                    create_checkpoint(empty_checkpoint(), None, 0), {"source": "loop", "step": 0, "parents": {}}, {})
    saver.put_writes(cfg, [("messages", task)], task)


def test_dropping_a_scope_removes_its_shallow_write_registry_members_and_keeps_another_prefixes(redis_url):
    """ShallowRedisSaver names its write registry by thread id alone (outside checkpoint_prefix): a shared thread id
    puts two prefixes' write keys in one registry. drop_scope takes out only ours; the other app keeps its own."""
    import redis
    from langgraph.checkpoint.redis import ShallowRedisSaver

    client = redis.Redis.from_url(redis_url)
    ours, theirs = "parity_cleanup_1", "someone_else"
    for prefix in (ours, theirs):
        saver = ShallowRedisSaver(redis_client=client, checkpoint_prefix=f"{prefix}_checkpoint",
                                  checkpoint_write_prefix=f"{prefix}_checkpoint_write")
        saver.setup()
        _step(saver, "shared-thread", f"task-{prefix}")
        _step(saver, f"own-thread-{prefix}", f"task-{prefix}")
    assert client.zcard("write_registry:shared-thread:__empty__:shallow") == 2, "the upstream behaviour this guards"

    families.get("redis").drop_scope(redis_url, ours)

    left = sorted(k.decode() for k in client.scan_iter("*"))
    assert not [k for k in left if ours in k], left
    members = [m.decode() for m in client.zrange("write_registry:shared-thread:__empty__:shallow", 0, -1)]
    assert len(members) == 1 and members[0].startswith(theirs), members
    assert client.exists(f"write_registry:own-thread-{theirs}:__empty__:shallow"), left
    assert not client.exists(f"write_registry:own-thread-{ours}:__empty__:shallow"), left
    client.close()


def test_a_measured_thread_is_new_to_the_server_whatever_its_name():
    """Two cells asking for the same thread name write different threads, so no saver's per-thread state (kept in
    or outside its scope) carries from one cell, repeat or worker process into the next."""
    a, b = ops.Thread("get_tuple_latest-read"), ops.Thread("get_tuple_latest-read")
    assert a.id != b.id and a.id.startswith("get_tuple_latest-read-")
