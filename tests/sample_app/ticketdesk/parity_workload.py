"""What `parity check --workload ticketdesk.parity_workload:triage` runs on every backend."""

from parity.workloads import Workload, get_state, history, invoke, resume

from ticketdesk.graph import build

triage = Workload(
    name="triage",
    build=build,
    steps=[invoke({"text": "Please refund order 42"}), get_state(), resume(True), get_state(), history(),
           invoke({"text": "Where is my parcel?"}, thread="question")],
)
