#!/usr/bin/env bash
# CI: the suite on the lowest versions it supports. A venv of its own gets every dependency at pyproject's lower bound
# (.ci/lowest-versions.txt; tests/test_lowest_versions.py keeps the two equal): langgraph 1.0.6, the oldest that
# accepts langgraph-checkpoint 4.3.0, the oldest the current Postgres and SQLite savers accept. On it: the cheap
# self-tests that depend on the installed langgraph, then the quick compat matrix on every built-in saver, which
# must run every cell to a verdict (--fail-on failed: a harness error on the old versions fails the job; divergences
# are the report's, and it names the versions each was seen on). The newest versions are `make test`'s venv.
# Skips, saying so, where PyPI cannot be reached. PARITY_CI_LOWEST=0 leaves it out.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
venv=$(mktemp -d /tmp/parity-lowest-venv-XXXXXX)
out=$(mktemp -d /tmp/parity-lowest-XXXXXX)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
if ! "$venv/bin/python" -m pip download --quiet --no-deps --dest "$venv/probe" "langgraph==$(sed -n 's/^langgraph==//p' .ci/lowest-versions.txt)" >/dev/null 2>&1; then
  echo "lowest-versions: skipped: PyPI cannot be reached from here (pip download of the pinned langgraph failed)"
  rm -rf "$out"
  exit 0
fi
if ! "$venv/bin/python" -m pip install --quiet --constraint .ci/lowest-versions.txt -e . >"$venv/pip.log" 2>&1; then
  cat "$venv/pip.log" >&2
  echo "lowest-versions: the lowest pins do not install together (above: pip's output)" >&2
  exit 1
fi
"$venv/bin/python" -m pip check >/dev/null || { "$venv/bin/python" -m pip check; exit 1; }
installed=$("$venv/bin/python" -c 'from parity import versions; print(versions.label(versions.seen_on()))')
echo "lowest-versions: venv in $(( $(date +%s) - started )) s: $installed"
"$venv/bin/python" -m pytest -q -p no:cacheprovider tests/test_lowest_versions.py tests/test_fields.py tests/test_invariants.py
code=0
"$venv/bin/parity" run --only compat --quick --history none --fail-on failed --out "$out" || code=$?
echo "lowest-versions: $installed: done in $(( $(date +%s) - started )) s"
if [ "$code" = 0 ]; then rm -rf "$out"; else echo "lowest-versions: results stay in $out" >&2; fi
exit $code
