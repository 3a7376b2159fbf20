"""The `langgraph_tests` section (LangGraph's own tests on each saver) as HTML and Markdown."""

from __future__ import annotations

from typing import Any

from parity.langgraph_tests.summary import backend_rows, finding_rows, headline
from parity.render.tables import esc, table

BACKEND_COLUMNS = (("backend", "Saver"), ("tests", "Tests"), ("passed", "Passed"), ("failed", "Failed only here"),
                   ("causes", "Causes"), ("new_causes", "Not in the reviewed table"),
                   ("skew", "Fail on memory too (skew)"), ("skipped", "Skipped"))
SHOWN_IDS = 12  # test ids listed per cause in the page; results.json keeps up to 200 and the count


def langgraph_tests_html(doc: dict[str, Any]) -> str:
    section = doc.get("langgraph_tests") or {}
    out = [f"<p><b>{esc(headline(section))}</b></p>", f"<p class=\"note\">{esc(section.get('note', ''))}</p>",
           table(backend_rows(section), BACKEND_COLUMNS)]
    if section.get("missing_shards"):
        out.append(f"<p class=\"note\">Incomplete: shards {esc(', '.join(section['missing_shards']))} missing.</p>")
    for n in section.get("not_run") or []:
        out.append(f"<p class=\"note\">Not run: {esc(n.get('backend'))}: {esc(n.get('reason'))}</p>")
    for f in finding_rows(section):
        ids = "".join(f"<li><code>{esc(t)}</code></li>" for t in f["test_ids"][:SHOWN_IDS])
        more = f"<li>… {f['tests'] - SHOWN_IDS} more in results.json</li>" if f["tests"] > SHOWN_IDS else ""
        kind = "reviewed cause" if f["attributed"] else "listed in the table, <b>not yet attributed</b>"
        known = (f"{kind} <b>{esc(f['expected'])}</b>: {esc(f['explanation'])}"
                 + (f" (evidence: {esc(f['evidence'])})" if f["evidence"] else "")
                 + (f" (standalone check: <code>{esc(f['check'])}</code>)" if f["check"] else "")
                 if f["expected"] != "NEW" else "<b>not in the reviewed table</b>: a difference to look at")
        out.append(f"<h3>{esc(f['backend'])}: {esc(f['cause'])}</h3><p>{f['tests']} tests, failed {esc(f['failed'])} "
                   f"runs; {known}</p><p>at <code>{esc(f['where'])}</code>: <code>{esc(f['statement'])}</code>"
                   + (f"; saver call <code>{esc(f['saver_call'])}</code>" if f["saver_call"] else "")
                   + f"</p><ul>{ids}{more}</ul>")
    skew = section.get("skew") or []
    if skew:
        items = "".join(f"<li><code>{esc(s['test'])}</code> ({esc(', '.join(s.get('backends') or []))}): "
                        f"{esc(((s.get('failure') or {}).get('message') or '')[:200])}"
                        + (f" <i>known racy test: {esc(s['flaky'])}</i>" if s.get("flaky") else "") + "</li>"
                        for s in skew[:SHOWN_IDS])
        out.append(f"<h3>Skew: {len(skew)} tests fail on InMemorySaver too (or are LangGraph's own racy tests)</h3><p class=\"note\">Not counted "
                   f"against any saver: the tests or their environment differ from what they were written for.</p>"
                   f"<ul>{items}</ul>")
    return "".join(out)


def langgraph_tests_markdown(doc: dict[str, Any]) -> str:
    section = doc.get("langgraph_tests")
    if not isinstance(section, dict):
        return ""
    lines = ["### LangGraph's own tests", "", headline(section), "",
             "| Saver | Tests | Passed | Failed only here | Causes (not reviewed) | Skew | Skipped |",
             "|---|--:|--:|--:|--:|--:|--:|"]
    for b in backend_rows(section):
        lines.append(f"| {b['backend']} | {b['tests']} | {b['passed']} | {b['failed']} | {b['causes']} "
                     f"({b['new_causes']}) | {b['skew']} | {b['skipped']} |")
    for f in finding_rows(section):
        cause = f["cause"].replace("|", "\\|")[:160]
        lines.append(f"- **{f['backend']}** `{f['expected']}`: {cause} — {f['tests']} tests, failed {f['failed']}")
    return "\n".join(lines)
