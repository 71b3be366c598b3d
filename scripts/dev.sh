#!/usr/bin/env bash
# make dev: soketi on 127.0.0.1:6001 and the relay on http://127.0.0.1:5080 against it,
# with its LiteDB file under data/. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."

# The soketi app (id, key, secret, options): soketi.env, which the test fixtures read too.
# Read here as plain shell variables (not exported), so the relay below gets the same app.
# shellcheck source=../soketi.env
. ./soketi.env
SOKETI_PORT=${SOKETI_PORT:-6001}
RELAY_PORT=${RELAY_PORT:-5080}
RELAY_URL="http://127.0.0.1:$RELAY_PORT"
mkdir -p data .run

# A development-only JWT secret, made once and kept out of git (data/ is ignored).
[ -s data/dev-jwt-secret ] || head -c 48 /dev/urandom | base64 | tr -d '\n/+=' > data/dev-jwt-secret
JWT_SECRET=$(cat data/dev-jwt-secret)

for port in "$SOKETI_PORT" "$RELAY_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "make dev: port $port is already in use (another 'make dev'?): stop it or set SOKETI_PORT / RELAY_PORT." >&2
    exit 1
  fi
done

pids=()
stopping=""
cleanup() {
  trap - EXIT
  echo; echo "stopping relay and soketi"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap 'stopping=1; exit 130' INT TERM
trap cleanup EXIT

echo "==> starting soketi on 127.0.0.1:$SOKETI_PORT (log: .run/soketi.log)"
( set -a; . ./soketi.env; set +a
  SOKETI_HOST=127.0.0.1 SOKETI_PORT=$SOKETI_PORT SOKETI_METRICS_ENABLED=false \
  SOKETI_DEFAULT_APP_WEBHOOKS="[{\"url\":\"$RELAY_URL/api/v1/pusher/webhooks\",\"event_types\":[\"channel_occupied\",\"channel_vacated\"]}]" \
  exec node_modules/.bin/soketi start ) > .run/soketi.log 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$SOKETI_PORT/" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fs "http://127.0.0.1:$SOKETI_PORT/" >/dev/null || { echo "soketi did not start: see .run/soketi.log" >&2; exit 1; }

echo "==> starting the relay on $RELAY_URL (log below)"
PUSHER_ENABLED=true PUSHER_APP_ID=$SOKETI_DEFAULT_APP_ID PUSHER_KEY=$SOKETI_DEFAULT_APP_KEY PUSHER_SECRET=$SOKETI_DEFAULT_APP_SECRET \
PUSHER_HOST=127.0.0.1 PUSHER_PORT=$SOKETI_PORT PUSHER_SCHEME=http \
AUTH_JWT_SECRET=$JWT_SECRET RELAY_DB_PATH=data/relay.db RELAY_PUBLIC_URL=$RELAY_URL \
ASPNETCORE_URLS=$RELAY_URL ASPNETCORE_ENVIRONMENT=Development \
dotnet server/Realtime.Relay/bin/Debug/net10.0/Realtime.Relay.dll &
pids+=($!)
for _ in $(seq 1 150); do curl -fs "$RELAY_URL/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fs "$RELAY_URL/healthz" >/dev/null || { echo "the relay did not start: see the log above" >&2; exit 1; }

EDUCATOR_JWT=$(node scripts/dev-jwt.mjs "$JWT_SECRET" dev-educator educator "Dev Educator" class-1)
ADMIN_JWT=$(node scripts/dev-jwt.mjs "$JWT_SECRET" dev-admin admin "Dev Admin")
cat <<INFO

Realtime Bridge is running (Ctrl-C stops both).
  relay      $RELAY_URL   (info: $RELAY_URL/api/v1/info, ready: $RELAY_URL/readyz,
                           OpenAPI: $RELAY_URL/openapi/v1.json, metrics: $RELAY_URL/metrics)
  soketi     ws://127.0.0.1:$SOKETI_PORT  $SOKETI_DEFAULT_APP_ID / $SOKETI_DEFAULT_APP_KEY / $SOKETI_DEFAULT_APP_SECRET
  database   data/relay.db

Development JWTs (valid 7 days, signed with data/dev-jwt-secret); paste into another shell:
  export EDUCATOR_JWT=$EDUCATOR_JWT
  export ADMIN_JWT=$ADMIN_JWT

Try:
  curl -s $RELAY_URL/api/v1/info
  curl -s -X POST $RELAY_URL/api/v1/games -H "Authorization: Bearer \$EDUCATOR_JWT" \\
       -H 'Content-Type: application/json' -d '{"gameId":"demo","name":"Demo"}'
  curl -s -X POST $RELAY_URL/api/v1/pusher/auth -H "Authorization: Bearer \$EDUCATOR_JWT" \\
       -d socket_id=1234.5678 -d channel_name=presence-game-demo
Pair a Studio plugin: save $RELAY_URL/plugin/RealtimeBridge.rbxmx into Studio's Plugins
folder, open it, and approve the code it shows with the educator JWT (see README, "Educators").

INFO
wait -n "${pids[@]}"
[ -n "$stopping" ] || echo "a process stopped on its own: see the log above and .run/soketi.log" >&2
exit 1
