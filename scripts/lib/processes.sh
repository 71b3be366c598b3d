# shellcheck shell=bash
# What scripts/dev.sh and scripts/dev-cluster.sh share: the development JWT secret, the port check,
# starting soketi from soketi.env, waiting for a process to answer, and stopping everything they
# started on Ctrl-C or when one of them fails. Sourced from the repository root, after
# `. ./soketi.env`.

pids=()        # every process started here; all are stopped on exit
stopping=""    # set once Ctrl-C / TERM arrived, so the exit is not reported as a failure
trap 'stopping=1; exit 130' INT TERM
trap stop_started EXIT

stop_started() {
  trap - EXIT
  echo; echo "stopping what was started"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}

# A development-only JWT secret, made once and kept out of git (data/ is ignored).
dev_jwt_secret() {
  mkdir -p data
  [ -s data/dev-jwt-secret ] || head -c 48 /dev/urandom | base64 | tr -d '\n/+=' > data/dev-jwt-secret
  cat data/dev-jwt-secret
}

# require_free_ports "<what to tell the user>" port...
require_free_ports() {
  local hint=$1; shift
  for port in "$@"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$(basename "$0"): port $port is already in use: $hint" >&2
      exit 1
    fi
  done
}

# wait_for "<shell probe>" "<what>": up to 30 s for the probe to succeed, else one line saying where to look.
wait_for() {
  for _ in $(seq 1 150); do eval "$1" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "$2 did not start: see .run/" >&2; exit 1
}

# start_soketi <port> <relay webhook url>: soketi with the app from soketi.env, log in .run/soketi.log.
start_soketi() {
  local port=$1 webhook=$2
  mkdir -p .run
  ( set -a; . ./soketi.env; set +a
    SOKETI_HOST=127.0.0.1 SOKETI_PORT=$port SOKETI_METRICS_ENABLED=false \
    SOKETI_DEFAULT_APP_WEBHOOKS="[{\"url\":\"$webhook\",\"event_types\":[\"channel_occupied\",\"channel_vacated\"]}]" \
    exec node_modules/.bin/soketi start ) > .run/soketi.log 2>&1 &
  pids+=($!)
  wait_for "curl -fs http://127.0.0.1:$port/" "soketi"
}
