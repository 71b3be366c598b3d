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

# shellcheck source=lib/processes.sh
. scripts/lib/processes.sh
JWT_SECRET=$(dev_jwt_secret)
require_free_ports "another 'make dev'? Stop it or set SOKETI_PORT / RELAY_PORT." "$SOKETI_PORT" "$RELAY_PORT"

echo "==> starting soketi on 127.0.0.1:$SOKETI_PORT (log: .run/soketi.log)"
start_soketi "$SOKETI_PORT" "$RELAY_URL/api/v1/pusher/webhooks"

echo "==> starting the relay on $RELAY_URL (log below)"
PUSHER_ENABLED=true PUSHER_APP_ID=$SOKETI_DEFAULT_APP_ID PUSHER_KEY=$SOKETI_DEFAULT_APP_KEY PUSHER_SECRET=$SOKETI_DEFAULT_APP_SECRET \
PUSHER_HOST=127.0.0.1 PUSHER_PORT=$SOKETI_PORT PUSHER_SCHEME=http \
AUTH_JWT_SECRET=$JWT_SECRET RELAY_DB_PATH=data/relay.db RELAY_PUBLIC_URL=$RELAY_URL \
ASPNETCORE_URLS=$RELAY_URL ASPNETCORE_ENVIRONMENT=Development \
dotnet server/Realtime.Relay/bin/Debug/net10.0/Realtime.Relay.dll &
pids+=($!)
wait_for "curl -fs $RELAY_URL/healthz" "the relay (its log is above)"

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
