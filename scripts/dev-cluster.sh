#!/usr/bin/env bash
# make dev-cluster: soketi, one redis-server and three relays (RELAY_STORE=redis) behind haproxy,
# round-robin with no sticky sessions, so every request may land on any node (docs/cluster.md).
#   http://127.0.0.1:5080   the load balancer (what clients use)
#   http://127.0.0.1:5081-5083  the relays themselves; http://127.0.0.1:5090/stats  haproxy's page
# State under data/cluster/ (redis' append-only file). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=../soketi.env
. ./soketi.env
SOKETI_PORT=${SOKETI_PORT:-6001}
LB_PORT=${LB_PORT:-5080}
REDIS_PORT=${REDIS_PORT:-6380}
NODES=3
LB_URL="http://127.0.0.1:$LB_PORT"
command -v haproxy >/dev/null || { echo "make dev-cluster: haproxy is missing (scripts/ensure-deps.sh installs it)" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "make dev-cluster: redis-server is missing (scripts/ensure-deps.sh installs it)" >&2; exit 1; }
mkdir -p data/cluster .run

# shellcheck source=lib/processes.sh
. scripts/lib/processes.sh
JWT_SECRET=$(dev_jwt_secret)
require_free_ports "make dev running? Stop it or set LB_PORT / SOKETI_PORT / REDIS_PORT." \
  "$SOKETI_PORT" "$LB_PORT" "$REDIS_PORT" $(seq $((LB_PORT + 1)) $((LB_PORT + NODES))) $((LB_PORT + 10))
infra=() # redis, soketi, haproxy: the cluster stops if one of them does; a relay may be killed on purpose

echo "==> redis-server on 127.0.0.1:$REDIS_PORT (append-only, fsync every write; log: .run/redis.log)"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$PWD/data/cluster" --appendonly yes --appendfsync always \
  --save "" --daemonize no --loglevel warning > .run/redis.log 2>&1 &
pids+=($!); infra+=($!)
wait_for "redis-cli -p $REDIS_PORT ping | grep -q PONG" "redis-server"

echo "==> soketi on 127.0.0.1:$SOKETI_PORT (log: .run/soketi.log)"
start_soketi "$SOKETI_PORT" "$LB_URL/api/v1/pusher/webhooks"
infra+=("${pids[-1]}")

servers=""
for n in $(seq 1 $NODES); do
  port=$((LB_PORT + n))
  echo "==> relay-$n on http://127.0.0.1:$port (log: .run/relay-$n.log)"
  PUSHER_ENABLED=true PUSHER_APP_ID=$SOKETI_DEFAULT_APP_ID PUSHER_KEY=$SOKETI_DEFAULT_APP_KEY PUSHER_SECRET=$SOKETI_DEFAULT_APP_SECRET \
  PUSHER_HOST=127.0.0.1 PUSHER_PORT=$SOKETI_PORT PUSHER_SCHEME=http \
  AUTH_JWT_SECRET=$JWT_SECRET RELAY_PUBLIC_URL=$LB_URL RELAY_TRUSTED_PROXIES=127.0.0.1 \
  RELAY_STORE=redis RELAY_REDIS="127.0.0.1:$REDIS_PORT" RELAY_NODE_ID="relay-$n" RELAY_DB_PATH="data/cluster/unused-$n.db" \
  ASPNETCORE_URLS="http://127.0.0.1:$port" ASPNETCORE_ENVIRONMENT=Development \
  dotnet server/Realtime.Relay/bin/Debug/net10.0/Realtime.Relay.dll > ".run/relay-$n.log" 2>&1 &
  pids+=($!)
  servers+="    server relay-$n 127.0.0.1:$port check"$'\n'
done
for n in $(seq 1 $NODES); do wait_for "curl -fs http://127.0.0.1:$((LB_PORT + n))/healthz" "relay-$n"; done

# deploy/haproxy-cluster.cfg.template is the one definition of the front (the cluster test fills it too).
awk -v lb="$LB_PORT" -v stats="$((LB_PORT + 10))" -v servers="$servers" \
  '$0 == "@SERVERS@" { printf "%s", servers; next } { gsub(/@LB_PORT@/, lb); gsub(/@STATS_PORT@/, stats); print }' \
  deploy/haproxy-cluster.cfg.template > .run/haproxy.cfg
echo "==> haproxy on $LB_URL (round-robin over $NODES relays; stats: http://127.0.0.1:$((LB_PORT + 10))/stats)"
haproxy -c -q -f .run/haproxy.cfg
haproxy -db -f .run/haproxy.cfg > .run/haproxy.log 2>&1 &
pids+=($!); infra+=($!)
wait_for "curl -fs $LB_URL/healthz" "haproxy"

EDUCATOR_JWT=$(node scripts/dev-jwt.mjs "$JWT_SECRET" dev-educator educator "Dev Educator" class-1)
cat <<INFO

Realtime Bridge cluster is running (Ctrl-C stops it all).
  load balancer  $LB_URL   (round-robin; try: for i in 1 2 3; do curl -s $LB_URL/api/v1/info; echo; done)
  relays         $(for n in $(seq 1 $NODES); do printf 'http://127.0.0.1:%s ' $((LB_PORT + n)); done)
  redis          127.0.0.1:$REDIS_PORT  (see who owns what: redis-cli -p $REDIS_PORT --scan --pattern 'relay:cluster:*')
  soketi         ws://127.0.0.1:$SOKETI_PORT  $SOKETI_DEFAULT_APP_ID / $SOKETI_DEFAULT_APP_KEY

  export EDUCATOR_JWT=$EDUCATOR_JWT
Kill one relay (kill -9 the pid listening on its port: ss -ltnp | grep 508) and watch its channels
move to the others within 10 s (docs/cluster.md, "Failure modes"); the cluster keeps running.

INFO
wait -n "${infra[@]}"
[ -n "$stopping" ] || echo "redis, soketi or haproxy stopped on its own: see .run/" >&2
exit 1
