"""Durability: acknowledged checkpoints lost and threads that no longer resume after SIGKILL / SIGTERM of the server."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from parity import families
from parity.injecting import common

# What the guide's C10 is about, per family; labels are what the report prints.
@dataclass(frozen=True)
class Setting:
    family: str
    label: str
    settings: dict[str, Any]
    must_keep_on_kill: bool | None  # physics: True = loses nothing, False = must lose, None = not asserted


def settings_of(family: str) -> tuple[Setting, ...]:
    """A family's durability settings (Family.durability_settings), in report order."""
    return tuple(Setting(family, *row) for row in families.get(family).durability_settings)


# Every installed family's, in report order.
SETTINGS = tuple(s for name in families.names() for s in settings_of(name))


def write_threads(saver, n: int, tag: str) -> dict[str, set[str]]:
    """Run n threads to their interrupt; returns thread -> checkpoint ids the saver acknowledged."""
    app = common.builder().compile(checkpointer=saver)
    acked: dict[str, set[str]] = {}
    for i in range(n):
        tid = f"{tag}-{i}"
        app.invoke(common.start_input(i), common.config(tid))
        acked[tid] = {t.config["configurable"]["checkpoint_id"] for t in saver.list(common.config(tid))}
    return acked


def count_after(saver, acked: dict[str, set[str]]) -> tuple[int, int]:
    """(acknowledged checkpoints lost, threads that no longer resume to the expected end state)."""
    from langgraph.types import Command

    app = common.builder().compile(checkpointer=saver)
    lost = unresumable = 0
    for i, (tid, ids) in enumerate(acked.items()):
        present = {t.config["configurable"]["checkpoint_id"] for t in saver.list(common.config(tid))}
        lost += len(ids - present)
        try:
            out = app.invoke(Command(resume="go"), common.config(tid))
            ok = out == common.expected_final(int(tid.rsplit("-", 1)[1]))
        except Exception:  # a thread that cannot resume is what we count, whatever the error
            ok = False
        unresumable += not ok
    return lost, unresumable


def run_setting(server, backend, setting: Setting, n: int) -> list[dict[str, Any]]:
    """On one owned server: write, SIGKILL, restart, count; then write more, SIGTERM, restart, count."""
    rows = []
    scope = f"dur_{uuid.uuid4().hex[:8]}"
    for fault in ("kill", "term"):
        tag = f"{fault}-{uuid.uuid4().hex[:6]}"
        with common.closing_quietly(common.open_saver(backend, server.endpoint(), scope)) as saver:
            acked = write_threads(saver, n, tag)
            server.kill() if fault == "kill" else server.stop()
        server.start()
        families.get(setting.family).after_restart(server.url)
        with common.open_saver(backend, server.endpoint(), scope) as saver:
            lost, unresumable = count_after(saver, acked)
        rows.append({"backend": backend.name, "settings": setting.label, "fault": fault,
                     "must_keep_on_kill": setting.must_keep_on_kill,
                     "acknowledged": sum(len(v) for v in acked.values()), "lost": lost,
                     "unresumable": unresumable, "threads": n, "config": common.settings_label(setting.settings),
                     "lever": f"{common.lever(server, 'kill' if fault == 'kill' else 'stop')}, then "
                              f"{common.lever(server, 'start')}"})
    return rows


def physics_violations(rows: list[dict[str, Any]]) -> list[str]:
    """What the storage physics says must hold after SIGKILL; each broken expectation as one line."""
    expect = {s.label: s.must_keep_on_kill for s in SETTINGS}
    out = []
    for row in rows:
        want = expect.get(row["settings"])
        if row["fault"] != "kill" or want is None or row["acknowledged"] == 0:
            continue
        if want and (row["lost"] or row["unresumable"]):
            out.append(f"{row['backend']} {row['settings']}: expected 0 lost / 0 unresumable after SIGKILL, "
                       f"got {row['lost']} lost / {row['unresumable']} unresumable of {row['acknowledged']}")
        if not want and row["lost"] == 0:
            out.append(f"{row['backend']} {row['settings']}: expected writes lost after SIGKILL, got 0 lost "
                       f"of {row['acknowledged']}")
    return out
