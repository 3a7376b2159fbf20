"""Standalone: ShallowRedisSaver's write registry ignores checkpoint_prefix. Two savers on one Redis with different
prefixes (two apps, tenants or environments sharing a server) and the same thread_id: does one see the other's
pending writes, does deleting one's data leave the registry behind, and does the registry keep growing?
argv: [redis_url, postgres_url]."""
import sys
import time
import warnings

import redis
from langgraph.checkpoint.base import create_checkpoint, empty_checkpoint
from langgraph.checkpoint.redis import ShallowRedisSaver

warnings.simplefilter("ignore", DeprecationWarning)
url = sys.argv[1]
client = redis.Redis.from_url(url)


def saver(prefix):
    s = ShallowRedisSaver(redis_client=client, checkpoint_prefix=f"{prefix}_checkpoint",
                          checkpoint_write_prefix=f"{prefix}_checkpoint_write")
    s.setup()
    return s


def step(s, thread, n, task):
    cp = create_checkpoint(empty_checkpoint(), None, n)
    cfg = s.put({"configurable": {"thread_id": thread, "checkpoint_ns": ""}}, cp, {"source": "loop", "step": n, "parents": {}}, {})
    s.put_writes(cfg, [("messages", f"written by {task}")], task)
    return cfg


a, b = saver("app_a"), saver("app_b")
step(a, "t1", 0, "task-of-app-a")
step(b, "t1", 0, "task-of-app-b")
latest = b.get_tuple({"configurable": {"thread_id": "t1", "checkpoint_ns": ""}})
print("app_b's latest tuple, pending writes:", [(t, c, v) for t, c, v in latest.pending_writes])
print("registry keys:", sorted(k.decode() for k in client.scan_iter("write_registry:*")))
print("registry members:", [m.decode() for m in client.zrange("write_registry:t1:__empty__:shallow", 0, -1)])

# The registry outlives the data: drop app_a's keys the way an operator clears a prefix, then time app_b's reads
# as more scopes come and go on the same thread id.
for k in client.scan_iter("app_a_*"):
    client.delete(k)
print("after app_a's keys are gone, registry members:", client.zcard("write_registry:t1:__empty__:shallow"))
for round_ in range(4):
    s = saver(f"scope{round_}")
    for n in range(50):
        step(s, "t2", n, f"t{round_}-{n}")
    t0 = time.perf_counter()
    for _ in range(30):
        s.get_tuple({"configurable": {"thread_id": "t2", "checkpoint_ns": ""}})
    ms = (time.perf_counter() - t0) / 30 * 1e3
    for k in client.scan_iter(f"scope{round_}_*"):
        client.delete(k)
    print(f"scope {round_}: get_tuple {ms:.2f} ms; registry members for t2 now {client.zcard('write_registry:t2:__empty__:shallow')} "
          f"(keys left in Redis: {client.dbsize()})")
