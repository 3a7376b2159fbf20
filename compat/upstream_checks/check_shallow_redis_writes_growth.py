"""Standalone: ShallowRedisSaver keeps one checkpoint per thread, but every step's writes stay: keys and get_tuple's
time grow with the thread's steps (ShallowPostgresSaver for comparison). argv: [redis_url, postgres_url]."""
import sys
import time
import warnings

from langgraph.checkpoint.base import create_checkpoint, empty_checkpoint
from langgraph.checkpoint.postgres.shallow import ShallowPostgresSaver
from langgraph.checkpoint.redis import ShallowRedisSaver

warnings.simplefilter("ignore", DeprecationWarning)


def steps(saver, thread, n, start):
    parent, cp = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}, empty_checkpoint()
    for step in range(start, start + n):
        cp = create_checkpoint(cp, None, step)
        parent = saver.put(parent, cp, {"source": "loop", "step": step, "parents": {}}, {})
        saver.put_writes(parent, [("messages", "x" * 500), ("route", "next")], f"task-{step}")


def p50_ms(saver, thread):
    times = []
    for _ in range(30):
        t0 = time.perf_counter()
        tup = saver.get_tuple({"configurable": {"thread_id": thread, "checkpoint_ns": ""}})
        times.append(time.perf_counter() - t0)
    return sorted(times)[15] * 1e3, len(tup.pending_writes)


with ShallowRedisSaver.from_conn_string(sys.argv[1]) as redis_saver, \
        ShallowPostgresSaver.from_conn_string(sys.argv[2]) as pg_saver:
    redis_saver.setup()
    pg_saver.setup()
    done = 0
    for total in (1, 50, 300):
        for saver in (redis_saver, pg_saver):
            steps(saver, "grow", total - done, done)
        done = total
        r_ms, r_writes = p50_ms(redis_saver, "grow")
        p_ms, p_writes = p50_ms(pg_saver, "grow")
        print(f"after {total:3d} steps: ShallowRedisSaver get_tuple p50 {r_ms:6.2f} ms, {r_writes:3d} pending writes "
              f"on the latest, {redis_saver._redis.dbsize():4d} keys | ShallowPostgresSaver {p_ms:5.2f} ms, "
              f"{p_writes} pending writes")
