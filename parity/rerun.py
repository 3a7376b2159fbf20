"""--restart-dead-servers: a server the suite owns that died or stalled mid-run is restarted once, and the cell it spoiled
runs again on it. A second event on the same server is final: its cells are refused with the reason (parity.spoiled).

The cell's first attempt runs unlogged (pytest's own runtestprotocol with log=False, as pytest-rerunfailures does);
when a server event spoiled it, whatever it added to the results document is taken out again, the server restarts,
and only the second attempt is logged and recorded, marked `rerun_after` with the event. The console says so.
"""

from __future__ import annotations

from typing import Any

from parity.spoiled import SPOILABLE


class Restarts:
    """The session's restarts: at most one per server family."""

    def __init__(self, session) -> None:
        self.session = session
        self.done: dict[str, Any] = {}  # family -> the event it was restarted after

    def allowed(self, family: str | None) -> bool:
        if not family or not self.session.options.restart_dead_servers or family in self.done:
            return False
        ep = next((e for e in self.session.pool.endpoints() if e.family == family), None)
        return ep is not None and ep.owned and hasattr(ep.control, "restart")  # never a server the suite did not start

    def restart(self, family: str, event) -> bool:
        """Kill what is left of the server (a stalled process too) and start it again, same port and data; True when
        it serves again."""
        from parity import families

        ep = next(e for e in self.session.pool.endpoints() if e.family == family)
        self.done[family] = event
        try:
            ep.control.restart(hard=True)
            families.get(family).after_restart(ep.url)
        except Exception as exc:  # noqa: BLE001 - a failed restart is said and the cells stay refused
            event.detail += f"; the suite's restart failed: {' '.join(str(exc).split())[:200]}"
            return False
        proc = getattr(ep.control, "proc", None)
        ep.pid = proc.pid if proc is not None else getattr(ep.control, "server_pid", lambda: ep.pid)()
        if not self.session.watch.wait_up(family):
            event.detail += "; restarted by the suite, but it did not answer"
            return False
        event.detail += "; restarted once by the suite (--restart-dead-servers), the cells it spoiled run again"
        return True

    def why_final(self, family: str) -> str:
        """The refusal's tail once the one restart is used."""
        return "; it was restarted once already (--restart-dead-servers), so its cells stop here" \
            if family in self.done else ""


def protocol(item, nextitem, session, family: str, announce) -> bool:
    """Run one cell; a first attempt spoiled by a server event is dropped, the server restarted, the cell run again."""
    from _pytest.runner import runtestprotocol

    restarts: Restarts = session.restarts
    down = session.watch.down(family)
    if down is not None and restarts.allowed(family):  # found dead between cells: restart before this one
        ok = restarts.restart(family, down)
        announce(f"the {family} server was restarted once (--restart-dead-servers)" if ok else
                 f"the {family} server could not be restarted: {down.detail}")
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    marks = {k: len(v) for k, v in session.doc.items() if isinstance(v, list)}
    reports = runtestprotocol(item, nextitem=nextitem, log=False)
    event = _spoiled_by(session, item.nodeid, family)
    if event is not None and restarts.allowed(family) and restarts.restart(family, event):
        for key, size in marks.items():  # the spoiled attempt's rows, findings and conformance rows go
            del session.doc[key][size:]
        announce(f"the {family} server was restarted once (--restart-dead-servers); {item.nodeid} runs again on it")
        reports = runtestprotocol(item, nextitem=nextitem, log=False)
        for row in session.doc["cells"][marks.get("cells", 0):]:
            if row["id"] == item.nodeid:
                row["rerun_after"] = event.line()
    for report in reports:
        item.ihook.pytest_runtest_logreport(report=report)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


def _spoiled_by(session, cell_id: str, family: str):
    row = next((c for c in reversed(session.doc.get("cells") or []) if c.get("id") == cell_id), None)
    window = session.cell_windows.get(cell_id)
    if row is None or window is None or row.get("status") not in SPOILABLE:
        return None
    found = session.watch.overlapping(family, *window)
    return found[0] if found else None
