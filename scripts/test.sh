#!/usr/bin/env bash
# Runs every suite — xunit (unit, integration and process-level tests, which start their
# own soketi and relay processes and stop them), the Luau specs under Lune, the StyLua check — then
# prints one closing line "N passed, N failed" and exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .run
passed=0; failed=0; broken=()

suite() { printf '\n==> %s\n' "$1"; }
record() { # name, status, passed, failed
  passed=$((passed + $3)); failed=$((failed + $4))
  if [ "$2" -ne 0 ] || [ "$4" -ne 0 ]; then broken+=("$1"); fi
}

for project in tests/Realtime.Pusher.Tests tests/Realtime.Relay.Tests; do
  name=$(basename "$project")
  suite "xunit: $name"
  log=.run/$name.log
  dotnet test "$project" --no-build --nologo --logger "console;verbosity=normal" 2>&1 | tee "$log" \
    | grep -E '^\s+Failed |^\s+Error Message|^\s+Skipped |^\s*(Total tests|Passed|Failed|Skipped):|error'
  status=${PIPESTATUS[0]}
  [ "$status" -ne 0 ] && grep -E -A12 '^\s+Failed ' "$log" | head -150
  p=$(sed -nE 's/^ +Passed: +([0-9]+)$/\1/p' "$log" | tail -1); f=$(sed -nE 's/^ +Failed: +([0-9]+)$/\1/p' "$log" | tail -1)
  if ! grep -q '^Total tests:' "$log"; then echo "no test summary from $name (build or test-host failure): see $log"; status=1; fi
  record "$name" "$status" "${p:-0}" "${f:-0}"
done

suite "lune: roblox-plugin specs"
log=.run/lune-specs.log
scripts/lune run roblox-plugin/spec/runner.luau 2>&1 | tee "$log" | tail -n 30
status=${PIPESTATUS[0]}
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
p=$(sed -nE 's/^([0-9]+) passed.*/\1/p' <<<"$line"); f=$(sed -nE 's/.* ([0-9]+) failed$/\1/p' <<<"$line")
[ -z "$line" ] && { echo "no summary from the Lune spec runner: see $log"; status=1; }
record lune-specs "$status" "${p:-0}" "${f:-0}"

suite "stylua --check"
if node_modules/.bin/stylua --check roblox-plugin >/dev/null 2>.run/stylua.log; then
  echo "formatted"; record stylua 0 1 0
else
  node_modules/.bin/stylua --check roblox-plugin | head -40; cat .run/stylua.log; record stylua 1 0 1
fi

printf '\n'
if [ ${#broken[@]} -gt 0 ]; then echo "failing suites: ${broken[*]}"; fi
echo "$passed passed, $failed failed"
[ ${#broken[@]} -eq 0 ]
