"""The compat part: observation helpers for scenarios, the conformance bridge, and claims C4, C5, C12."""
