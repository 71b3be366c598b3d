-- End to end: the real game-server module (GameServer/Bridge and the Shared modules) under
-- lua5.1, with HttpService over LuaSocket, against a live relay and soketi. Started by
-- tests/Realtime.Relay.Tests/Processes/LuaEndToEndTests.cs, which created the game (as an
-- educator on the dashboard) and plays the backend, the dashboard's pusher-js and the operator
-- restarting the relay (support/E2E.lua).
-- Environment: RELAY_URL, E2E_DIR, GAME_ID, SERVER_KEY (given to the module as the Roblox
-- secret "RealtimeBridgeServerKey", read with HttpService:GetSecret).
-- The `it` blocks are steps of one story and run in order.
local Loader = require("support.Loader")
local E2E = require("support.E2E")
local FakeRoblox = require("support.FakeRoblox")
local RealScheduler = require("support.RealScheduler")
local SocketHttpService = require("support.SocketHttpService")
local Bridge = Loader.load("GameServer/Bridge")

local RELAY = E2E.env("RELAY_URL")
local GAME_ID = E2E.env("GAME_ID")

describe("Game-server module end to end", function()
	local scheduler = RealScheduler.new()
	local http = SocketHttpService.new({
		scheduler = scheduler,
		secrets = { RealtimeBridgeServerKey = E2E.env("SERVER_KEY") },
	})
	local players = FakeRoblox.players()
	local jobId = "e2e-job-" .. string.lower(http:GenerateGUID(false))
	local closeHandlers = {}
	local bridge, sessionPath
	local presence = false -- the relay has PUT P/players
	local rounds = {} -- data.round of every start-round heard
	local handled = {} -- every inbox event dispatched: {seq, event}

	local function refused(record)
		return record.error == "ConnectFail"
	end

	local function succeeded(record)
		return record.status ~= nil and record.status >= 200 and record.status < 300
	end

	it("registers its server session with the server key from the secret", function()
		bridge = Bridge.new({
			httpService = http,
			players = players,
			task = scheduler.task,
			clock = scheduler.clock,
			jobId = jobId,
			placeId = 4242,
			bindToClose = function(fn)
				table.insert(closeHandlers, fn)
			end,
			warn = function(message)
				print("warn: " .. tostring(message))
			end,
		})
		bridge:start({
			gameId = GAME_ID,
			baseUrl = RELAY,
			waitSeconds = 2,
			backoffBaseSeconds = 0.25,
			backoffMaxSeconds = 1,
			triggerFlushSeconds = 0.2,
			rosterDelaySeconds = 0.2,
		})
		bridge:on("*", function(_, envelope)
			table.insert(handled, { seq = envelope.seq, event = envelope.event })
		end)
		bridge:on("start-round", function(data)
			table.insert(rounds, data.round)
		end)
		scheduler:runUntil(function()
			return bridge.state == "running"
		end, 20, "the server session to be registered")
		assert.is_string(bridge.serverId)
		assert.are.equal(1, #closeHandlers)
		sessionPath = bridge.path
		assert.are.equal("/api/v1/games/" .. GAME_ID .. "/servers/" .. jobId, sessionPath)
		E2E.signal("registered", { jobId = jobId, serverId = bridge.serverId })
	end)

	it("hands game code an event the backend triggered to private-game-<gameId>", function()
		E2E.await(scheduler, "triggered-1")
		scheduler:runUntil(function()
			return #rounds >= 1
		end, 20, "start-round 1")
		assert.are.same({ 1 }, rounds)
	end)

	it("publishes Bridge.trigger events on roblox-sync for the dashboard", function()
		bridge:trigger("roblox-sync", "round-over", { round = 1, winner = "e2e" })
		E2E.signal("published", { event = "round-over" })
		local received = E2E.await(scheduler, "dashboard-received")
		assert.are.equal("server", received.data.from.kind)
		assert.are.equal(GAME_ID, received.data.from.gameId)
		assert.are.equal("e2e", received.data.data.winner)
	end)

	it("reports its players, which the dashboard sees as presence members", function()
		local ok, err = bridge.client:put(sessionPath .. "/players", { players = bridge:roster() })
		assert.is_true(ok, err and err.message)
		presence = true
		E2E.signal("players-ready", {})
		E2E.await(scheduler, "dashboard-watching")

		local before = #http.history
		players:join(1001, "alice_e2e", "Alice")
		local bob = players:join(1002, "bob_e2e", "Bob")
		scheduler:runUntil(function()
			return http:count("PUT", "/players$", succeeded, before) > 0 and bridge._rosterBatch:size() == 0
		end, 20, "the roster to be sent")
		E2E.signal("players-joined", { jobId = jobId, players = bridge:roster() })
		E2E.await(scheduler, "dashboard-saw-players")

		before = #http.history
		players:leave(bob)
		scheduler:runUntil(function()
			return http:count("PUT", "/players$", succeeded, before) > 0 and bridge._rosterBatch:size() == 0
		end, 20, "the roster without bob to be sent")
		E2E.signal("player-left", { userId = 1002 })
		E2E.await(scheduler, "dashboard-saw-player-leave")
	end)

	it("keeps its session, hearing and publishing through a relay restart, losing and repeating nothing", function()
		local registrations = http:count("POST", "/servers$")
		E2E.signal("restart-relay", {})
		E2E.await(scheduler, "relay-down")
		local before = #http.history
		bridge:trigger("roblox-sync", "while-down", { round = 2 })
		scheduler:runUntil(function()
			return bridge.poller.state == "backoff"
				and http:count("GET", "/events$", refused, before) > 0
				and http:count("POST", "/trigger$", refused, before) > 0
		end, 20, "the module to notice the relay is down (polling and publishing)")
		E2E.signal("saw-relay-down", {})

		local downAt = #http.history
		E2E.await(scheduler, "relay-up")
		scheduler:runUntil(function()
			return #rounds >= 2
				and bridge._triggers:size() == 0
				and (not presence or http:count("PUT", "/players$", succeeded, downAt) > 0)
		end, 30, "start-round 2 after the restart, the queued trigger sent (and the roster reported again)")
		scheduler:runFor(3) -- a repeat would arrive by now
		assert.are.same({ 1, 2 }, rounds)
		assert.are.equal("running", bridge.state)
		assert.are.equal(registrations, http:count("POST", "/servers$"), "the module registered again")
		local seen, last = {}, 0
		for _, entry in ipairs(handled) do
			assert.is_nil(seen[entry.seq], "seq " .. tostring(entry.seq) .. " handled twice: " .. E2E.show(handled))
			assert.truthy(entry.seq > last, "seqs out of order: " .. E2E.show(handled))
			seen[entry.seq] = true
			last = entry.seq
		end
		E2E.signal("published-while-down", { event = "while-down", presence = presence })
		E2E.await(scheduler, "dashboard-received-while-down")
	end)

	it("ends its session in BindToClose", function()
		bridge:trigger("roblox-sync", "closing", { jobId = jobId })
		local before = #http.history
		closeHandlers[1]() -- what game:BindToClose runs when the server shuts down
		assert.are.equal("stopped", bridge.state)
		assert.are.equal(1, http:count("POST", "/trigger$", succeeded, before), "queued events are sent before closing")
		assert.are.equal(1, http:count("DELETE", "/servers/" .. jobId:gsub("%-", "%%-") .. "$", succeeded, before))
		-- The session's token no longer works.
		local ok, err = bridge.client:get(sessionPath .. "/events", { wait = 0 })
		assert.is_false(ok)
		assert.are.equal("unauthorized", err.kind)
		E2E.signal("closed", { jobId = jobId })
		E2E.await(scheduler, "dashboard-received-closing")
	end)
end)
