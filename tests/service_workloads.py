"""Workloads an app cannot serve as requests (tests/test_service.py): `--workload tests.service_workloads:NAME`."""

from parity.workloads.contract import Workload, get_state, invoke, resume
from parity.workloads.demo.graph import LEAD, build

# Only reads: a request would run no graph.
reads_only = Workload(name="reads_only", build=build, steps=[get_state(label="look")])
# Starts by resuming: a new conversation has no thread to resume yet.
resume_first = Workload(name="resume_first", build=build, steps=[resume({"action": "send"}), invoke({"lead": LEAD})])
