"""The `calibration` section (parity calibrate): what `parity compare` detects on this runner, and its false alarms."""

from __future__ import annotations

from typing import Any

from parity.render.tables import esc


def _rows(cal: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(method, share, per flavour flagged or not, unrelated rows flagged) per slowed run."""
    out = []
    for d in cal.get("detection") or []:
        flavours = ", ".join(f"{f}: {'flagged' if v.get('detected') else 'not flagged'}"
                             for f, v in sorted((d.get("flavours") or {}).items())) or "no row of its ops compared"
        out.append((str(d.get("method")), f"+{float(d.get('share') or 0):.0%}", flavours, str(len(d.get("unrelated") or []))))
    return out


def headline(cal: dict[str, Any]) -> str:
    from parity.calibrate import summary

    return summary(cal)


def calibration_markdown(doc: dict[str, Any]) -> str:
    cal = doc.get("calibration")
    if not isinstance(cal, dict):
        return ""
    lines = ["### What compare detects on this runner", "", headline(cal), "",
             "| Slowed method | Slowdown | Flagged | Unrelated rows flagged |", "|---|--:|---|--:|"]
    lines += [f"| {m} | {s} | {f} | {u} |" for m, s, f, u in _rows(cal)]
    return "\n".join(lines)


def calibration_html(doc: dict[str, Any]) -> str:
    cal = doc.get("calibration") or {}
    body = "".join(f"<tr><td>{esc(m)}</td><td>{esc(s)}</td><td>{esc(f)}</td><td>{esc(u)}</td></tr>"
                   for m, s, f, u in _rows(cal))
    return (f"<p><b>{esc(headline(cal))}</b></p>"
            '<p class="note">Each slowed run is the headline cell with one saver method busy-waiting the stated share of '
            "its own median on the client before each call, compared with the first clean run by <code>parity "
            "compare</code>; every pair of clean runs is a same-code pair. A share counts as detected only if every "
            "larger share was detected too.</p>"
            "<table><thead><tr><th>Slowed method</th><th>Slowdown</th><th>Flagged</th><th>Unrelated rows flagged"
            f"</th></tr></thead><tbody>{body}</tbody></table>")
