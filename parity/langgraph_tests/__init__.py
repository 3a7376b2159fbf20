"""`parity langgraph-tests`: LangGraph's own test suite (from the sdist of the installed version) run on any saver."""
