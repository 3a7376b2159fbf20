#!/usr/bin/env bash
# CI: LangGraph's own checkpointer tests, the full suite (every test file of the installed langgraph's sdist that
# takes a checkpointer), on every built-in saver that keeps the whole history (redis, postgres, sqlite) beside
# InMemorySaver, then the gate: no failure on postgres or sqlite. Redis is reported, not gated: some of its
# failures are races that come and go between runs (parity/langgraph_tests/expected.toml lists those seen).
# Measured at 944 s, 793 s and 1215 s on 2 cores with the load average at 12-24 (other jobs on the machine; CI has 90
# minutes in all); LangGraph's own racy and wall-clock tests are [[flaky]] in expected.toml (skew, not gated). The
# tests' venv comes from `make test` (parity langgraph-tests --prepare).
# PARITY_CI_LANGGRAPH_TESTS=0 leaves it out.
set -euo pipefail
cd "$(dirname "$0")/.."
PARITY=${PARITY:-.venv/bin/parity}
out=$(mktemp -d "${TMPDIR:-/tmp}/parity-lgt-XXXXXX")
started=$(date +%s)
"$PARITY" langgraph-tests --install-test-deps --out "$out"
echo "langgraph-tests: full suite in $(( $(date +%s) - started )) s"
cat > "$out/policy.toml" <<'POLICY'
[langgraph_tests]
backends = ["postgres", "sqlite"]
mode = "full"
max_failures = 0
POLICY
code=0
"$PARITY" gate "$out" --policy "$out/policy.toml" || code=$?
if [ "$code" = 0 ]; then rm -rf "$out"; else echo "langgraph-tests: results stay in $out" >&2; fi
exit $code
