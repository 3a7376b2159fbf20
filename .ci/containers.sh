#!/usr/bin/env bash
# CI: the Testcontainers path for real. Installs Debian's docker.io, starts a private engine with no bridge
# network (loopback only), builds the stand-in images from the installed wheels, runs `parity doctor` and a
# quick compat + bench + faults run with --provider testcontainers and with --provider embedded, checks both
# say the same (cell statuses and claim verdicts, within parity/provider_parity.py's flaky set), and leaves no
# container, mount, network or daemon behind, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "containers: skipped: needs root and apt-get to install and start a Docker engine"
  exit 0
fi
started=$(date +%s)
command -v dockerd >/dev/null && command -v debootstrap >/dev/null || {
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null; }
echo "containers: docker.io ready after $(( $(date +%s) - started )) s"

PY=${PY:-.venv/bin/python}
PARITY=${PARITY:-.venv/bin/parity}
dir=$(mktemp -d "${TMPDIR:-/tmp}/parity-dk-XXXXXX")
out=$(mktemp -d "${TMPDIR:-/tmp}/parity-ci-XXXXXX")
cleanup() {
  code=$?
  .ci/docker-engine.sh stop "$dir" || code=1
  left_proc=$(pgrep -f -- "$dir" || true)
  [ -z "$left_proc" ] || { echo "containers: processes left: $left_proc" >&2; code=1; }
  if [ "$code" = 0 ]; then rm -rf "$out"; else echo "containers: the runs' results stay in $out" >&2; fi
  exit $code
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export DOCKER_HOST=$(.ci/docker-engine.sh start "$dir")
export PARITY_CONTAINER_NETWORK=host TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX=parity-local/
$PY -m parity.servers.standins
echo "containers: engine up and images built after $(( $(date +%s) - started )) s"

networks=$(docker network ls --format '{{.Name}}' | sort | tr '\n' ' ')
[ "$networks" = "host none " ] || { echo "containers: unexpected networks: $networks" >&2; exit 1; }

$PARITY doctor --provider testcontainers
for provider in testcontainers embedded; do
  # One seed for both runs: the generated part draws the same examples, so a difference is the provider's. No
  # example database: the second run would replay the first run's failures first (docs/generated.md).
  $PARITY run --quick --seed 20261126 --hypothesis-db off --provider "$provider" --out "$out/$provider" --history none \
    >"$out/$provider.log" 2>&1 || {
    tail -30 "$out/$provider.log"; echo "containers: the $provider run failed" >&2; exit 1; }
  echo "containers: $provider run done after $(( $(date +%s) - started )) s"
done
$PY -m parity.provider_parity "$out/embedded/results.json" "$out/testcontainers/results.json"
$PY - "$out/testcontainers/results.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["run"]["provider"] == "testcontainers", doc["run"]
assert {s["provider"] for s in doc["servers"]} == {"testcontainers"}, doc["servers"]
rows = [r for k in ("measurements", "ratios", "floors") for r in doc.get(k, [])]
assert rows and all(r.get("provider") for r in rows), "every figure names its provider"
levers = {r.get("lever") for k in ("durability", "outages") for r in doc.get(k, []) if r.get("lever")}
assert any("docker" in lv for lv in levers), f"faults ran on containers with the engine's levers: {levers}"
print("containers: provider on every figure; fault levers:", "; ".join(sorted(levers)))
EOF
[ -z "$(docker ps -aq)" ] || { echo "containers: containers left after the runs" >&2; exit 1; }
echo "containers: passed in $(( $(date +%s) - started )) s"
