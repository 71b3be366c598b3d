local Loader = require("support.Loader")
local FakeHttpService = require("support.FakeHttpService")
local FakeScheduler = require("support.FakeScheduler")
local FakeRoblox = require("support.FakeRoblox")
local FakeRelay = require("support.FakeRelay")
local Bridge = Loader.load("GameServer/Bridge")

local GAME = "game-1"
local JOB = "job-1"
local P = "/api/v1/games/game-1/servers/job-1"

describe("GameServer Bridge", function()
	local scheduler, http, players, inbox, closeHandlers, bridge, registrations, rosters, triggers, deletes

	local function newBridge()
		closeHandlers = {}
		bridge = Bridge.new({
			httpService = http,
			players = players,
			task = scheduler.task,
			clock = scheduler.clock,
			jobId = JOB,
			placeId = 99,
			random = function()
				return 1
			end,
			warn = function() end,
			bindToClose = function(fn)
				table.insert(closeHandlers, fn)
			end,
		})
		return bridge
	end

	before_each(function()
		scheduler = FakeScheduler.new()
		http = FakeHttpService.new({ scheduler = scheduler, secrets = { RealtimeBridgeServerKey = "sk-secret" } })
		players = FakeRoblox.players()
		registrations, rosters, triggers, deletes = {}, {}, {}, {}
		http:route("GET", "^/api/v1/info$", function()
			return { StatusCode = 200, Body = { protocolVersion = 1 } }
		end)
		http:route("POST", "^/api/v1/games/game%-1/servers$", function(request)
			table.insert(registrations, request)
			return { StatusCode = 201, Body = { accessToken = "session-token", serverId = "srv-1" } }
		end)
		http:route("PUT", "^" .. P:gsub("%-", "%%-") .. "/players$", function(request)
			table.insert(
				rosters,
				{ at = request.At, players = request.Json.players, auth = request.Headers.Authorization }
			)
			return { StatusCode = 204 }
		end)
		http:route("POST", "^" .. P:gsub("%-", "%%-") .. "/trigger$", function(request)
			table.insert(triggers, request.Json.events)
			return { StatusCode = 202, Body = {} }
		end)
		http:route("DELETE", "^" .. P:gsub("%-", "%%-") .. "$", function(request)
			table.insert(deletes, request)
			return { StatusCode = 204 }
		end)
		inbox = FakeRelay.inbox(http, scheduler, P)
		newBridge()
	end)

	it("registers with the server key from the secret store and polls with the session token", function()
		bridge:start({ gameId = GAME, baseUrl = "https://relay.example.org" })
		assert.are.equal("running", bridge.state)
		assert.are.equal(1, #registrations)
		assert.are.equal("Bearer sk-secret", registrations[1].Headers.Authorization)
		assert.are.same({ jobId = JOB, placeId = 99 }, registrations[1].Json)
		assert.are.equal("srv-1", bridge.serverId)
		local poll = http:last("GET", "/events$")
		assert.are.equal("Bearer session-token", poll.Headers.Authorization)
		assert.are.equal("https://relay.example.org" .. P .. "/events?after=0&limit=100&wait=20", poll.Url)
	end)

	it("falls back to serverKey from the config when no secret is configured", function()
		http.secrets = {}
		bridge:start({ gameId = GAME, serverKey = "sk-config" })
		assert.are.equal("Bearer sk-config", registrations[1].Headers.Authorization)
	end)

	it("fails with a clear message when there is no server key at all", function()
		http.secrets = {}
		bridge:start({ gameId = GAME })
		assert.are.equal("failed", bridge.state)
		assert.truthy(bridge.lastError.message:find("RealtimeBridgeServerKey", 1, true))
		assert.are.equal(0, #registrations)
	end)

	it("fails clearly when HTTP requests are not enabled", function()
		http.HttpEnabled = false
		bridge:start({ gameId = GAME })
		assert.are.equal("failed", bridge.state)
		assert.are.equal("http_disabled", bridge.lastError.kind)
	end)

	it("hands inbox events to Bridge.on handlers once each", function()
		local got = {}
		bridge:on("start-round", function(data)
			table.insert(got, data.round)
		end)
		bridge:start({ gameId = GAME })
		inbox:push("start-round", { round = 1 }, "private-game-game-1")
		scheduler:advance(1)
		inbox:push("start-round", { round = 2 }, "private-game-game-1")
		scheduler:advance(1)
		assert.are.same({ 1, 2 }, got)
	end)

	it("batches roster changes into one PUT of the full roster", function()
		players:join(1, "ann")
		bridge:start({ gameId = GAME })
		scheduler:advance(2)
		assert.are.equal(1, #rosters)
		assert.are.same({ { userId = 1, name = "ann", displayName = "ann" } }, rosters[1].players)
		assert.are.equal("Bearer session-token", rosters[1].auth)
		local bob = players:join(2, "bob", "Bobby")
		players:join(3, "cy")
		players:leave(bob)
		scheduler:advance(2)
		assert.are.equal(2, #rosters)
		assert.are.same({
			{ userId = 1, name = "ann", displayName = "ann" },
			{ userId = 3, name = "cy", displayName = "cy" },
		}, rosters[2].players)
	end)

	it("re-sends the roster before the relay's 45 s presence timeout", function()
		bridge:start({ gameId = GAME })
		scheduler:advance(100)
		local gaps = {}
		for i = 2, #rosters do
			table.insert(gaps, rosters[i].at - rosters[i - 1].at)
		end
		assert.is_true(#gaps >= 2)
		for _, gap in ipairs(gaps) do
			assert.is_true(gap < 45)
		end
	end)

	it("reports the roster again as soon as the relay is back after an outage", function()
		local down = false
		http:route("PUT", "^" .. P:gsub("%-", "%%-") .. "/players$", function(request)
			if down then
				error("HttpError: ConnectFail", 0)
			end
			table.insert(rosters, { at = request.At, players = request.Json.players })
			return { StatusCode = 204 }
		end)
		players:join(1, "ann")
		bridge:start({ gameId = GAME, waitSeconds = 1 })
		scheduler:advance(2)
		assert.are.equal(1, #rosters)
		down = true
		inbox.fail = "HttpError: ConnectFail"
		scheduler:advance(4)
		assert.are.equal(1, #rosters)
		down = false
		inbox.fail = nil
		scheduler:advance(4) -- far sooner than rosterRefreshSeconds (30)
		assert.is_true(#rosters >= 2)
		assert.are.same({ { userId = 1, name = "ann", displayName = "ann" } }, rosters[#rosters].players)
	end)

	it("publishes triggers in batches of at most 10 with ids", function()
		bridge:start({ gameId = GAME })
		for i = 1, 12 do
			bridge:trigger("presence-game-game-1", "score", { i = i })
		end
		scheduler:advance(1)
		assert.are.equal(2, #triggers)
		assert.are.equal(10, #triggers[1])
		assert.are.equal(2, #triggers[2])
		assert.are.equal("presence-game-game-1", triggers[1][1].channel)
		assert.are.equal("score", triggers[1][1].event)
		assert.are.equal("job-1-1", triggers[1][1].id)
	end)

	it("holds triggers made before registration finished and sends them after", function()
		http:route("GET", "^/api/v1/info$", function()
			scheduler.task.wait(3)
			return { StatusCode = 200, Body = { protocolVersion = 1 } }
		end)
		bridge:start({ gameId = GAME })
		bridge:trigger("roblox-sync", "hello", {})
		scheduler:advance(2)
		assert.are.equal(0, #triggers)
		scheduler:advance(10)
		assert.are.equal(1, #triggers)
	end)

	it("stays under its request budget however much game code triggers", function()
		bridge:start({ gameId = GAME, requestsPerMinute = 60, requestMargin = 10, triggerBatchSize = 1 })
		scheduler.task.spawn(function()
			for i = 1, 300 do
				bridge:trigger("roblox-sync", "tick", { i = i })
				scheduler.task.wait(0.1)
			end
		end)
		scheduler:advance(180)
		local worst, first = 0, 1
		for last = 1, #http.requests do
			while http.requests[last].At - http.requests[first].At >= 60 do
				first = first + 1
			end
			worst = math.max(worst, last - first + 1)
		end
		assert.is_true(worst <= 50, "worst minute had " .. worst .. " requests")
		assert.is_true(#triggers > 60)
	end)

	it("ends the session in BindToClose after sending what is queued", function()
		bridge:start({ gameId = GAME })
		bridge:trigger("roblox-sync", "bye", {})
		assert.are.equal(1, #closeHandlers)
		scheduler.task.spawn(closeHandlers[1])
		assert.are.equal(1, #triggers)
		assert.are.equal(1, #deletes)
		assert.are.equal("Bearer session-token", deletes[1].Headers.Authorization)
		assert.are.equal("stopped", bridge.state)
		local polls = inbox.polls
		scheduler:advance(120)
		assert.are.equal(polls, inbox.polls)
		local rostersBefore = #rosters
		players:join(5, "late")
		scheduler:advance(10)
		assert.are.equal(rostersBefore, #rosters)
		assert.are.equal(1, #deletes)
	end)

	it("registers again when the relay has ended the session", function()
		bridge:start({ gameId = GAME })
		scheduler:advance(5)
		local failOnce = true
		inbox.fail = function()
			if failOnce then
				failOnce = false
				return { StatusCode = 404, Body = { code = "session_not_found" } }
			end
		end
		inbox:push("after-restart", {}, "private-game-game-1")
		scheduler:advance(5)
		assert.are.equal(2, #registrations)
		assert.are.equal("running", bridge.state)
	end)

	it("stays stopped when the relay revokes the session", function()
		bridge:start({ gameId = GAME })
		inbox:push("relay:revoked", {}, "private-game-game-1")
		scheduler:advance(60)
		assert.are.equal("failed", bridge.state)
		assert.are.equal(1, #registrations)
	end)
end)
