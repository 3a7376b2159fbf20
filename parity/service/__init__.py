"""The service part: the workload behind a FastAPI app per backend, driven open loop by k6 (issue 33)."""
