#!/usr/bin/env bash
# CI: a server family as a package, in full. tests/test_family_plugin.py installs the suite's wheel and
# examples/families/valkey in a fresh venv outside the checkout and runs `parity run --quick --only compat` and
# `--only bench` on Postgres and Valkey; make test runs a reduced selection of each, this runs the whole quick parts.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
PARITY_FAMILY_FULL=1 .venv/bin/python -m pytest tests/test_family_plugin.py -q -p no:cacheprovider -rA
echo "families: the full quick compat and bench runs on the Valkey family took $(( $(date +%s) - started )) s"
