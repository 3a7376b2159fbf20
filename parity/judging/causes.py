"""A failing cell's root cause: the first saver call that raised where the reference's did not.

A put that raises on every call, or a method the saver lacks that LangGraph calls from deep inside a graph (the
sync `list`, from a worker thread, under graph.ainvoke), fails many cells in many ways (an error, an empty
history, a missing task); each cell's own most significant difference then names a symptom. The saver's calls are
recorded as they pass (parity.judging.calls, the one recorder, which also watches the methods a saver lacks without
telling its class otherwise), and the first exception one of them raised names the finding and groups its cells.
"""

from __future__ import annotations

from dataclasses import dataclass

from parity.judging import missing_api
from parity.judging.calls import Calls


@dataclass(frozen=True)
class Raised:
    """One saver call that raised: which (as a user would name it) and what."""

    call: str  # "put", "aput", "sync list from a worker thread"
    error: str  # "ConnectionError: write refused"
    type: str  # "ConnectionError"

    def title(self, flavour: str) -> str:
        """The finding's headline: named after the call."""
        if self.type == "NotImplementedError":
            return f"not implemented: {self.call}: a user loses {missing_api.loss(self.call, flavour)}"[:200]
        return f"{self.call} raises {self.error}"[:200]


def raised(calls: Calls, flavour: str) -> list[Raised]:
    """The saver calls of one run that raised, one per exception, named after the outermost call it left (aput
    around put: aput), first raised first; under an async graph, a sync call from a worker thread says so."""
    out = []
    for call in calls.raised():
        name = call.spelled or call.name
        if flavour == "async" and name == call.name and call.os_thread != calls.home:
            name = f"sync {name} from a worker thread"  # as parity.judging.missing_api names it
        out.append(Raised(name, call.error or str(call.raised), str(call.raised)))
    return out


def root(actual: list[Raised], expected: list[Raised]) -> Raised | None:
    """The first call of the cell's run that raised where the reference's run raised nothing alike."""
    known = {(r.call, r.type) for r in expected}
    return next((r for r in actual if (r.call, r.type) not in known), None)
