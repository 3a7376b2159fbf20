#!/usr/bin/env bash
# The doc journeys that do not fit `make test` (tests/doc_journeys.py, the blocks marked `long`): the README's quick
# start from the built wheel in a fresh venv (pip install, doctor, init, check, gate, a short `parity run --quick`),
# the CI page's install and gate, your own saver, your own workload. TIME_PLACEHOLDER
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
PARITY_JOURNEYS=all .venv/bin/python -m pytest README.md docs -q -p no:cacheprovider -rs
echo "journeys: the long doc journeys took $(( $(date +%s) - start )) s"
