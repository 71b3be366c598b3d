#!/usr/bin/env bash
# Is the suite deterministic? Runs `make test` N times in a row on a fresh clone of HEAD,
# the way CI does (CI=true, no standard input), optionally with one core kept busy by
# another process. Stops at the first red run and says where its logs are.
#
#   scripts/repeat-test.sh [N] [--busy]      N defaults to 5
set -uo pipefail
cd "$(dirname "$0")/.."
runs=5; busy=false
for arg in "$@"; do
  case "$arg" in
    --busy) busy=true ;;
    ''|*[!0-9]*) echo "usage: scripts/repeat-test.sh [N] [--busy]" >&2; exit 2 ;;
    *) runs=$arg ;;
  esac
done

clone=$(mktemp -d /tmp/realtime-repeat.XXXXXX)
git clone --quiet . "$clone" || { echo "repeat-test: git clone failed" >&2; exit 1; }
echo "==> clean clone of $(git rev-parse --short HEAD) in $clone"

burner=""
if $busy; then
  # One core kept at 100 % for the whole run: CI's machine may be as busy as this.
  (while :; do :; done) &
  burner=$!
  echo "==> one core kept busy by pid $burner"
fi
trap '[ -n "$burner" ] && kill "$burner" 2>/dev/null' EXIT

for i in $(seq 1 "$runs"); do
  echo "==> run $i of $runs"
  start=$(date +%s)
  if ! (cd "$clone" && CI=true make test </dev/null >"$clone/run-$i.log" 2>&1); then
    echo "run $i FAILED after $(( $(date +%s) - start )) s: see $clone/run-$i.log and $clone/.run/"
    tail -n 5 "$clone/run-$i.log"
    exit 1
  fi
  echo "    $(tail -n 1 "$clone/run-$i.log") in $(( $(date +%s) - start )) s"
done
echo "==> $runs of $runs runs green"
