#!/usr/bin/env bash
# The doc journeys that do not fit `make test` (tests/doc_journeys.py, the blocks marked `long`): the README's quick
# start from the built wheel in a fresh venv (pip install, doctor, init, check, gate, a short `parity run --quick`),
# the CI page's install and gate, your own saver, your own workload, plain pytest from a checkout. 671-896 s
# (11-15 min) at load 10-33 on 2 cores (2026-12-07, other engineers' runs beside it); --durations names the slowest.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
PARITY_JOURNEYS=all .venv/bin/python -m pytest README.md docs -q -p no:cacheprovider -rs --durations=10
echo "journeys: the long doc journeys took $(( $(date +%s) - start )) s"
