#!/usr/bin/env bash
# Installs what `make dev` and `make test` need and is missing: npm packages (from the
# lock file), Lua 5.1 + busted + LuaSocket + dkjson (Debian packages), NuGet packages.
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*"; }
fail() { printf 'ensure-deps: %s\n' "$*" >&2; exit 1; }

command -v dotnet >/dev/null || fail "the .NET SDK (dotnet) is not on PATH: install .NET 10 SDK."
command -v node >/dev/null || fail "Node.js is not on PATH: install Node.js 20 or newer (apt-get install nodejs npm)."

# npm: reinstall when the lock file is newer than the last install.
if [ ! -f node_modules/.install-stamp ] || [ package-lock.json -nt node_modules/.install-stamp ]; then
  say "npm ci (soketi, pusher-js, pusher, stylua)"
  npm ci --no-audit --no-fund --loglevel=error || fail "npm ci failed: see the lines above."
  touch node_modules/.install-stamp
fi

# Lua 5.1 and friends from Debian, for the Roblox-side specs.
lua_ok() {
  command -v lua5.1 >/dev/null && command -v busted >/dev/null &&
    lua5.1 -e 'require("socket"); require("dkjson")' >/dev/null 2>&1
}
if ! lua_ok; then
  say "apt-get install lua5.1 lua-busted lua-socket lua-dkjson"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq || fail "apt-get update failed (no network to Debian's mirror?)."
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq lua5.1 lua-busted lua-socket lua-dkjson >/dev/null \
    || fail "apt-get install of the Lua packages failed."
  lua_ok || fail "Lua packages installed but lua5.1 cannot load socket/dkjson."
fi

# Chromium from Debian, for the browser tests (Microsoft.Playwright drives /usr/bin/chromium;
# Playwright's own browser download is not used).
if ! command -v chromium >/dev/null; then
  say "apt-get install chromium"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq || fail "apt-get update failed (no network to Debian's mirror?)."
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null || fail "apt-get install chromium failed."
fi

if [ ! -f .run/restore-stamp ] || [ -n "$(find . -name '*.props' -newer .run/restore-stamp -o -name '*.csproj' -newer .run/restore-stamp | grep -v '/obj/' | head -1)" ]; then
  say "dotnet restore"
  dotnet restore Realtime.sln --verbosity quiet || fail "dotnet restore failed: see the lines above."
  mkdir -p .run && touch .run/restore-stamp
fi
