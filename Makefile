# Realtime Bridge — two commands do all the set-up (see README.md):
#   make dev    install what is missing, start soketi and the relay, print what to do next
#   make dev-cluster   the same with redis and three relays behind haproxy
#   make test   install what is missing, run every suite, exit non-zero on any failure
SHELL := /bin/bash
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE := 1

.PHONY: dev dev-cluster test deps build bench format clean

dev: deps build
	@scripts/dev.sh

# Three relays on one Redis behind haproxy (docs/cluster.md).
dev-cluster: deps build
	@scripts/dev-cluster.sh

test: deps build
	@scripts/test.sh

deps:
	@scripts/ensure-deps.sh

build:
	@echo "==> dotnet build"
	@dotnet build Realtime.sln --no-restore --nologo -clp:ErrorsOnly -v quiet

# Benchmarks (not tests; README "Benchmarks"): Release build, then every scenario; each
# starts its own soketi and relay on loopback ports.
# The held long-polls need one descriptor each in this process and in the relay: raise the
# soft limit to the hard one. Pass scenario and options with BENCH_ARGS="held-polls --polls 2000".
BENCH_ARGS ?= all
bench: deps
	@echo "==> dotnet build -c Release"
	@dotnet build Realtime.sln -c Release --no-restore --nologo -clp:ErrorsOnly -v quiet
	@ulimit -n $$(ulimit -Hn); dotnet bench/Realtime.Bench/bin/Release/net10.0/Realtime.Bench.dll $(BENCH_ARGS)

format:
	node_modules/.bin/stylua roblox-plugin

clean:
	dotnet clean Realtime.sln --nologo -v quiet
	rm -rf .run
