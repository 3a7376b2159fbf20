#!/usr/bin/env bash
# A private Docker engine for tests and CI: its own socket, no bridge network (loopback only), stopped cleanly.
#   docker-engine.sh start DIR   -> starts dockerd, prints its DOCKER_HOST (unix://DIR/docker.sock)
#   docker-engine.sh stop DIR    -> removes every container, stops dockerd, checks nothing is left, removes DIR
# Images live in a data root that survives (the stand-in images are a cache): $PARITY_DOCKER_DATA, default
# ~/.cache/checkpoint-parity/docker. Needs root and dockerd (Debian: apt-get install docker.io).
set -euo pipefail

cmd=${1:?start|stop}
dir=${2:?a private directory for the socket, exec root and pid file}
data=${PARITY_DOCKER_DATA:-$HOME/.cache/checkpoint-parity/docker}
sock="unix://$dir/docker.sock"

running() { [ -s "$dir/docker.pid" ] && kill -0 "$(cat "$dir/docker.pid")" 2>/dev/null; }

launch() {  # launch DATA_ROOT LOCK: dockerd under flock -n; prints nothing, returns 0 once it answers
  local root=$1 lock=$2
  # --bridge=none: no docker0, no 172.x network; --iptables/--ip-masq off: the host's firewall is not touched.
  flock -n -E 75 "$lock" dockerd --bridge=none --iptables=false --ip-masq=false --ip6tables=false \
    -H "$sock" --data-root "$root" --exec-root "$dir/exec" --pidfile "$dir/docker.pid" \
    >"$dir/dockerd.log" 2>&1 &
  local holder=$!
  for _ in $(seq 1 600); do
    if [ -S "$dir/docker.sock" ] && DOCKER_HOST="$sock" docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
      return 0
    fi
    if ! kill -0 "$holder" 2>/dev/null; then
      wait "$holder" && return 1 || return $?
    fi
    sleep 0.2
  done
  kill -TERM "$holder" 2>/dev/null || true
  return 1
}

start() {
  mkdir -p "$dir" "$data"
  # One engine per data root (a second dockerd on it would wait for the first's containerd and fail): flock
  # holds the shared data root's lock for as long as dockerd runs. When another engine has it (other
  # checkouts on this machine run their tests too), this one gets a private data root under DIR, removed at
  # stop; the stand-in images then come from the image cache (parity.servers.standins saves them there).
  local rc=0
  launch "$data" "$data.lock" || rc=$?
  if [ "$rc" = 75 ]; then
    mkdir -p "$dir/data"
    rc=0
    launch "$dir/data" "$dir/data.lock" || rc=$?
  fi
  if [ "$rc" = 0 ]; then
    # Containers a killed earlier run left in the shared data root: this engine is ours alone.
    left=$(DOCKER_HOST="$sock" docker ps -aq)
    [ -z "$left" ] || DOCKER_HOST="$sock" docker rm -f $left >/dev/null
    echo "$sock"
    return 0
  fi
  echo "dockerd did not start: $(tail -3 "$dir/dockerd.log" | tr '\n' ' ')" >&2
  stop >/dev/null 2>&1 || true
  return 1
}

stop() {
  if running; then
    left=$(DOCKER_HOST="$sock" timeout 20 docker ps -aq 2>/dev/null || true)
    [ -z "$left" ] || DOCKER_HOST="$sock" timeout 60 docker rm -f $left >/dev/null 2>&1 || true
    pid=$(cat "$dir/docker.pid")
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" || true
  fi
  # Anything still mounted under our roots (a killed daemon leaves overlay and shm mounts) is unmounted.
  for m in $(awk -v d="$dir" -v r="$data" '$2 ~ "^"d || $2 ~ "^"r {print $2}' /proc/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  leftover=$(awk -v d="$dir" -v r="$data" '$2 ~ "^"d || $2 ~ "^"r' /proc/mounts | wc -l)
  # containerd and shims this dockerd started have our exec root in their command line.
  procs=$(pgrep -f -- "$dir/exec" || true)
  [ -z "$procs" ] || kill -KILL $procs 2>/dev/null || true
  rm -rf "$dir"
  if [ "$leftover" != 0 ]; then echo "docker-engine: $leftover mount(s) left under $dir or $data" >&2; return 1; fi
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
