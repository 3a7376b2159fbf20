"""Standalone: after a fork (update_state on an old checkpoint) the old branch keeps its values (memory) or shows the fork's (plainredis: blobs keyed by int version)? argv[1]: a Redis URL."""
import operator
import sys
from typing import Annotated, TypedDict

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph_checkpoint_plainredis import RedisSaver


def old_branch_after_fork(saver):
    g = StateGraph(TypedDict("S", {"log": Annotated[list[str], operator.add]}))
    for name, nxt in (("a", "b"), ("b", "c"), ("c", END)):
        g.add_node(name, lambda s, name=name: {"log": [name]})
        g.add_edge(name, nxt)
    g.add_edge(START, "a")
    app, cfg = g.compile(checkpointer=saver), {"configurable": {"thread_id": "fork-check"}}
    app.invoke({"log": []}, cfg)
    first_run_end = app.get_state(cfg).config  # the finished first branch: a, b, c
    before_b = next(s for s in app.get_state_history(cfg) if s.next == ("b",))
    app.invoke(None, app.update_state(before_b.config, {"log": ["edited"]}, as_node="a"))  # fork and run it
    return app.get_state(first_run_end).values["log"]


memory, got = old_branch_after_fork(InMemorySaver()), old_branch_after_fork(RedisSaver(url=sys.argv[1], prefix="fork-check"))
print(f"first branch's final state after the fork: memory {memory}  plainredis {got}")
ok = memory == ["a", "b", "c"] and got != memory
print("CONFIRMED: the fork overwrote the older branch's values" if ok else "NOT REPRODUCED")
sys.exit(0 if ok else 1)
