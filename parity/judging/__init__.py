"""The compat engine: the driver runs a scenario on a saver, the judge compares its trace with the reference's,
differences and findings explain it, observe/conformance/direct are the scenarios' helpers, claims.py gives C4, C5, C12."""
