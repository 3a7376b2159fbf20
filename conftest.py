"""Root conftest: the suite itself is the `parity` pytest plugin (entry point pytest11), nothing to add here."""
