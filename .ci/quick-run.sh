#!/usr/bin/env bash
# The README's headline command, whole, as a user runs it: `parity run --quick` of every part (compat, bench, faults)
# with the default embedded servers, then every consumer on what it wrote (report, gate, compare with itself, merge
# refusing the same run twice). make test and the journeys run shorter forms of it (-k smoke, --only); this is the
# only place the whole quick run is exercised. 9 min 19 s on the quiet 2-vCPU VM (2026-12-07); busy, up to 45 min.
# `make report` (the standard profile) is longer than what CI has left and is not run here.
set -euo pipefail
cd "$(dirname "$0")/.."
# PARITY_QUICK_RUN_KEEP=DIR keeps the run and its console there (a new folder) for a closer look.
if [ -n "${PARITY_QUICK_RUN_KEEP:-}" ]; then
  out=$PARITY_QUICK_RUN_KEEP; mkdir "$out"
else
  out=$(mktemp -d "${TMPDIR:-/tmp}/parity-quick-run-XXXXXX")
  trap 'rm -rf "$out"' EXIT
fi
start=$(date +%s)
# exit 0 when the run completed, whatever it found (README, "Exit codes"); 1 would be the suite's own failure here
.venv/bin/parity run --quick --history none --out "$out/run" | tee "$out/console.txt"
echo "quick-run: parity run --quick took $(( $(date +%s) - start )) s, printed $(wc -l < "$out/console.txt") lines"
for f in results.json report.html summary.md junit.xml; do
  test -s "$out/run/$f" || { echo "quick-run: $f missing or empty"; exit 1; }
done
.venv/bin/parity report "$out/run" >/dev/null
# gate decides: 0 (passed) and 1 (failed decision) are both decisions; 2 would be a usage or setup error
rc=0; .venv/bin/parity gate "$out/run" --policy examples/gate-policy.toml >/dev/null || rc=$?
[ "$rc" -le 1 ] || { echo "quick-run: parity gate exited $rc"; exit 1; }
.venv/bin/parity compare "$out/run" "$out/run" >/dev/null   # a run against itself: no regression, exit 0
rc=0; .venv/bin/parity merge "$out/run" "$out/run" --out "$out/merged" 2>"$out/merge.err" || rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l < "$out/merge.err")" -eq 1 ] || { echo "quick-run: merge of a run with itself: exit $rc"; cat "$out/merge.err"; exit 1; }
echo "quick-run: done in $(( $(date +%s) - start )) s"
