-- End to end: the real Studio plugin modules (Plugin/App and everything it requires) under
-- lua5.1, with HttpService over LuaSocket, against a live relay and soketi. Started by
-- tests/Realtime.Relay.Tests/Processes/LuaEndToEndTests.cs, which plays the backend (Pusher
-- REST), the dashboard's pusher-js and the operator restarting the relay (support/E2E.lua).
-- Environment: RELAY_URL, E2E_DIR (answers from the test, plugin settings file), DASHBOARD_JWT
-- (an educator's platform token, to approve the pairing as the dashboard would).
-- The `it` blocks are steps of one story and run in order.
local Loader = require("support.Loader")
local E2E = require("support.E2E")
local FilePlugin = require("support.FilePlugin")
local RealScheduler = require("support.RealScheduler")
local SocketHttpService = require("support.SocketHttpService")
local App = Loader.load("Plugin/App")

local RELAY = E2E.env("RELAY_URL")
local DIR = E2E.env("E2E_DIR")
local SETTINGS = DIR .. "/plugin-settings.json"

describe("Studio plugin end to end", function()
	local scheduler = RealScheduler.new()
	local http = SocketHttpService.new({ scheduler = scheduler })
	local plugin = FilePlugin.new(SETTINGS)
	local app, pluginId, channel
	local notices = {} -- every notification shown, across plugin sessions
	local handled = {} -- every inbox event dispatched: {seq, event}, across plugin sessions
	local warnings = {}

	local function newApp(settingsPlugin)
		local created = App.new({
			plugin = settingsPlugin,
			httpService = http,
			task = scheduler.task,
			clock = scheduler.clock,
			warn = function(message)
				table.insert(warnings, message)
				print("warn: " .. tostring(message))
			end,
			config = {
				baseUrl = RELAY,
				waitSeconds = 2,
				backoffBaseSeconds = 0.25,
				backoffMaxSeconds = 1,
				syncThrottleSeconds = 0.2,
			},
			pairingRequest = { placeId = 4242, gameId = "4243", studioUserId = 77 },
			ui = {
				notify = function(entry)
					table.insert(notices, entry.message)
				end,
			},
		})
		return created
	end

	-- Records every dispatched event of the current App (its dispatcher is made by connect()).
	local function record(current)
		current.dispatcher:on("*", function(_, envelope)
			table.insert(handled, { seq = envelope.seq, event = envelope.event })
		end)
	end

	local function noticed(message)
		for _, text in ipairs(notices) do
			if text == message then
				return true
			end
		end
		return false
	end

	local function hellos()
		local list = {}
		for _, text in ipairs(notices) do
			if string.match(text, "^hello ") then
				table.insert(list, text)
			end
		end
		return list
	end

	it("pairs by device flow, approved the way the dashboard approves", function()
		app = newApp(plugin)
		app:start()
		assert.are.equal("unpaired", app.state)

		app:pair()
		scheduler:runUntil(function()
			return app.pairing and app.pairing.userCode ~= nil
		end, 20, "a pairing code")
		assert.are.equal("pairing", app.state)
		assert.truthy(string.match(app.pairing.userCode, "^%u%u%u%u%-%u%u%u%u$"), app.pairing.userCode)
		assert.truthy(string.find(app.message, app.pairing.userCode, 1, true), app.message)

		local status, approval = E2E.request(
			http,
			"POST",
			RELAY .. "/api/v1/pairings/approve",
			{ userCode = app.pairing.userCode },
			E2E.env("DASHBOARD_JWT")
		)
		assert.are.equal(200, status, E2E.show(approval))
		pluginId = approval.pluginId

		scheduler:runUntil(function()
			return app.state == "listening"
		end, 30, "the plugin to be paired and listening")
		record(app)
		local session = plugin:GetSetting("RealtimeBridge.session")
		assert.are.equal(pluginId, session.pluginId)
		assert.are.equal("private-plugin-" .. pluginId, session.channel)
		assert.are.equal(RELAY, session.baseUrl)
		assert.is_string(session.token)
		channel = session.channel
		E2E.signal("paired", { pluginId = pluginId, channel = channel })
	end)

	it("receives an event the backend triggered to its channel", function()
		local answer = E2E.await(scheduler, "triggered-1")
		scheduler:runUntil(function()
			return noticed(answer.message)
		end, 20, "the notification '" .. answer.message .. "'")
		assert.are.same({ "hello 1" }, hellos())
		assert.are.equal("listening", app.state)
	end)

	it("publishes a roblox-sync event that the dashboard's pusher-js receives", function()
		app.publisher:placeChanged({ placeId = 4242, name = "E2E place" })
		scheduler:runUntil(function()
			return app.publisher.published >= 1
		end, 20, "place-changed to be published")
		E2E.signal("published", { event = "place-changed" })
		local received = E2E.await(scheduler, "dashboard-received")
		assert.are.equal("plugin", received.data.from.kind)
		assert.are.equal(pluginId, received.data.from.id)
		assert.are.equal("E2E place", received.data.data.name)
	end)

	it("keeps listening and publishing through a relay restart", function()
		E2E.signal("restart-relay", {})
		E2E.await(scheduler, "relay-down")
		local before = #http.history
		app.publisher:selectionChanged({ "Workspace.E2EPart" })
		scheduler:runUntil(function()
			local refused = function(r)
				return r.error == "ConnectFail"
			end
			return app.state == "connecting"
				and http:count("GET", "/events$", refused, before) > 0
				and http:count("POST", "/trigger$", refused, before) > 0
		end, 20, "the plugin to notice the relay is down (polling and publishing)")
		assert.truthy(string.find(app.message or "", "cannot be reached", 1, true), app.message)
		E2E.signal("saw-relay-down", {})

		local answer = E2E.await(scheduler, "relay-up")
		scheduler:runUntil(function()
			return noticed(answer.message) and app.publisher:pending() == 0 and app.publisher.published >= 2
		end, 30, "the plugin to hear '" .. answer.message .. "' and publish its selection after the restart")
		assert.are.equal("listening", app.state)
		E2E.signal("published-while-down", { event = "selection-changed" })
		E2E.await(scheduler, "dashboard-received-selection")
		assert.are.same({ "hello 1", "hello 2" }, hellos())
	end)

	it("resumes after Studio closes and the relay restarts, losing and repeating nothing", function()
		app:stop() -- plugin.Unloading: Studio closed
		assert.are.equal("stopped", app.state)
		-- The test reads the token and cursor from the settings file (no secret on stdout).
		E2E.signal("plugin-stopped", { after = plugin:GetSetting("RealtimeBridge.cursor").after })
		E2E.await(scheduler, "reopen")

		-- Studio opened again: the same settings file, a new plugin instance.
		local reopened = FilePlugin.new(SETTINGS)
		app = newApp(reopened)
		app:start()
		record(app)
		scheduler:runUntil(function()
			return noticed("hello 3") and noticed("hello 4")
		end, 30, "the events sent while Studio was closed and after the restart")
		scheduler:runFor(3) -- a repeat would arrive by now
		assert.are.same({ "hello 1", "hello 2", "hello 3", "hello 4" }, hellos())
		local seen = {}
		local last = 0
		for _, entry in ipairs(handled) do
			assert.is_nil(seen[entry.seq], "seq " .. tostring(entry.seq) .. " handled twice: " .. E2E.show(handled))
			assert.truthy(entry.seq > last, "seqs out of order: " .. E2E.show(handled))
			seen[entry.seq] = true
			last = entry.seq
		end
		assert.are.equal("listening", app.state)
		app:stop()
		E2E.signal("done", { handled = handled })
	end)
end)
