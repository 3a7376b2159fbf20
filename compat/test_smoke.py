"""Smoke: one graph invoke, an interrupt and a resume, on every backend, flavour and loop."""

from langgraph.types import Command

from parity.graphs import count_then_ask


async def smoke(g) -> None:
    app = g.compile(count_then_ask())
    cfg = g.config("smoke")
    g.trace.add("first invoke", await g.invoke(app, {"n": 1, "answer": "", "pad": ""}, cfg))
    state = await g.get_state(app, cfg)
    g.trace.add("paused at", {"next": state.next, "values": state.values,
                              "interrupts": [i.value for t in state.tasks for i in t.interrupts]})
    g.trace.add("resumed", await g.invoke(app, Command(resume="yes"), cfg))


async def test_invoke_and_resume(parity_cell):
    """Contract: a run pauses at interrupt(), resumes with Command(resume=...), and the state matches the reference."""
    await parity_cell.check(smoke)
