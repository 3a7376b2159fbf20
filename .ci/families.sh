#!/usr/bin/env bash
# CI: a server family as a package, in full. tests/test_family_plugin.py installs the suite's wheel and
# examples/families/valkey in a fresh venv outside the checkout and runs `parity run --quick --only compat`,
# `--only bench` and `--only faults` on Postgres and Valkey; make test runs a reduced selection of each, this runs the
# whole quick parts,
# and (as root, with dockerd) the Valkey stand-in under --provider testcontainers on a private engine.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
dir=""
cleanup() {
  code=$?
  if [ -n "$dir" ]; then .ci/docker-engine.sh stop "$dir" || code=1; fi
  exit $code
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ "$(id -u)" = 0 ] && command -v dockerd >/dev/null 2>&1; then
  dir=$(mktemp -d "${TMPDIR:-/tmp}/parity-dk-XXXXXX")
  DOCKER_HOST=$(.ci/docker-engine.sh start "$dir")
  export DOCKER_HOST
else
  echo "families: no private Docker engine (needs root and dockerd): the container form's test will skip"
fi
PARITY_FAMILY_FULL=1 .venv/bin/python -m pytest tests/test_family_plugin.py -q -p no:cacheprovider -rA
echo "families: the full quick compat, bench and faults runs on the Valkey family took $(( $(date +%s) - started )) s"
