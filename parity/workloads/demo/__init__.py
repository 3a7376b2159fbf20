"""The shipped demo workload: a sales-email graph run through research, draft, approval, revision, send and time travel."""

from parity.workloads.contract import Workload, continue_run, get_state, history, invoke, resume, time_travel, update
from parity.workloads.demo.graph import LEAD, build

sales_email = Workload(
    name="sales_email",
    description="research subgraph with 3 parallel tool calls -> draft (fake chat model) -> interrupt() approval "
                "-> revise or send; LangChain messages in state; update_state and time travel",
    build=build,
    steps=[
        invoke({"lead": LEAD, "messages": [{"role": "user", "content": "Write to Maya at Brightline Foods"}]},
               label="start (research, draft, pause)"),
        get_state(label="paused for approval"),
        resume({"action": "revise", "feedback": "shorter, offer a pilot"}, label="revise"),
        update({"cc": ["manager@acme.example"]}, as_node="draft", label="add cc"),
        get_state(label="after update"),
        continue_run(label="continue to approval"),
        resume({"action": "send"}, label="approve and send"),
        get_state(label="final state"),
        history(label="history"),
        time_travel(2, label="time travel: redraft from checkpoint 2"),
        get_state(subgraphs=True, label="forked state"),
    ],
    ignore=("values.draft.tracking_id", "values.draft.drafted_at", "values.*.interrupts.*.tracking_id"),
)

__all__ = ["sales_email", "build"]
