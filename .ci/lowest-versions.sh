#!/usr/bin/env bash
# CI: the suite on the lowest versions it supports. A venv of its own gets every dependency at pyproject's lower bound
# (.ci/lowest-versions.txt; tests/test_lowest_versions.py keeps the two equal): langgraph 1.0.6, the oldest that
# accepts langgraph-checkpoint 4.3.0, the oldest the current Postgres and SQLite savers accept. On it: the cheap
# self-tests that depend on the installed langgraph, then the quick compat matrix on every built-in saver, which
# must run every cell to a verdict (--fail-on failed: a harness error on the old versions fails the job; divergences
# are the report's, and it names the versions each was seen on). The newest versions are `make test`'s venv.
# The venv is made with uv when there is one (`make test`'s .venv has it: 25 s at load 20, where pip took 576 s),
# else pip. Skips, saying so, where PyPI cannot be reached.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
venv=$(mktemp -d "${TMPDIR:-/tmp}/parity-lowest-venv-XXXXXX")
out=$(mktemp -d "${TMPDIR:-/tmp}/parity-lowest-XXXXXX")
trap 'rm -rf "$venv"' EXIT
pinned_langgraph=$(sed -n 's/^langgraph==//p' .ci/lowest-versions.txt)
if ! python3 -m pip download --quiet --no-deps --dest "$venv/probe" "langgraph==$pinned_langgraph" >/dev/null 2>&1; then
  echo "lowest-versions: skipped: PyPI cannot be reached from here (pip download of langgraph $pinned_langgraph failed)"
  rm -rf "$out"
  exit 0
fi
uv=${UV:-$(command -v .venv/bin/uv || command -v uv || true)}
if [ -n "$uv" ]; then
  "$uv" venv --quiet --python python3 "$venv/v"
  install=("$uv" pip install --quiet --python "$venv/v/bin/python")
  check=("$uv" pip check --python "$venv/v/bin/python")
else
  python3 -m venv "$venv/v"
  install=("$venv/v/bin/python" -m pip install --quiet)
  check=("$venv/v/bin/python" -m pip check)
fi
if ! "${install[@]}" --constraint .ci/lowest-versions.txt -e . >"$venv/install.log" 2>&1; then
  cat "$venv/install.log" >&2
  echo "lowest-versions: the lowest pins do not install together (above: the installer's output)" >&2
  exit 1
fi
"${check[@]}" >/dev/null 2>&1 || { "${check[@]}"; exit 1; }
py="$venv/v/bin/python"
installed=$("$py" -c 'from importlib.metadata import version as v; print(", ".join(f"{n} {v(n)}" for n in (
  "langgraph", "langgraph-checkpoint", "langgraph-checkpoint-redis", "langgraph-checkpoint-postgres",
  "langgraph-checkpoint-sqlite")))')
echo "lowest-versions: venv in $(( $(date +%s) - started )) s: $installed"
"$py" -m pytest -q -p no:cacheprovider tests/test_lowest_versions.py tests/test_fields.py tests/test_invariants.py
code=0
# The shallow savers come from the same two packages as redis and postgres and took a fifth of the matrix's time
# (845 s in all at load 9-14): CI's 90 minutes hold the four full savers here, the newest versions run every saver.
"$venv/v/bin/parity" run --only compat --quick --backend memory,sqlite,redis,postgres --history none \
  --fail-on failed --out "$out" || code=$?
echo "lowest-versions: $installed: done in $(( $(date +%s) - started )) s"
if [ "$code" = 0 ]; then rm -rf "$out"; else echo "lowest-versions: results stay in $out" >&2; fi
exit $code
