local Loader = require("support.Loader")
local FakeHttpService = require("support.FakeHttpService")
local FakeScheduler = require("support.FakeScheduler")
local FakeRoblox = require("support.FakeRoblox")
local FakeRelay = require("support.FakeRelay")
local App = Loader.load("Plugin/App")

local BASE = "http://localhost:8080"
local P = "/api/v1/plugins/p1"

describe("Plugin App", function()
	local scheduler, http, plugin, inbox, app, states, notified, tokenAnswer

	local function newApp(streamType)
		states = {}
		notified = {}
		app = App.new({
			plugin = plugin,
			httpService = http,
			task = scheduler.task,
			clock = scheduler.clock,
			random = function()
				return 1
			end,
			streamType = streamType,
			config = { baseUrl = BASE },
			warn = function() end,
			ui = {
				onState = function(state)
					table.insert(states, state)
				end,
				notify = function(entry)
					table.insert(notified, entry.message)
				end,
			},
		})
		return app
	end

	before_each(function()
		scheduler = FakeScheduler.new()
		http = FakeHttpService.new({ scheduler = scheduler })
		plugin = FakeRoblox.plugin()
		tokenAnswer =
			{ StatusCode = 200, Body = { accessToken = "tok", pluginId = "p1", channel = "private-plugin-p1" } }
		http:route("GET", "^/api/v1/info$", function()
			return { StatusCode = 200, Body = { protocolVersion = 1 } }
		end)
		http:route("POST", "^/api/v1/pairings$", function()
			return {
				StatusCode = 201,
				Body = {
					deviceCode = "d",
					userCode = "BCDFGHJK",
					verificationUri = "https://dash/pair",
					expiresIn = 600,
					interval = 5,
				},
			}
		end)
		http:route("POST", "^/api/v1/pairings/token$", function()
			return tokenAnswer
		end)
		http:route("DELETE", "^/api/v1/plugins/p1$", function()
			return { StatusCode = 204 }
		end)
		inbox = FakeRelay.inbox(http, scheduler, P)
		newApp(nil)
	end)

	it("starts unpaired, pairs, saves the token and listens with it", function()
		app:start()
		assert.are.equal("unpaired", app.state)
		app:pair()
		assert.are.equal("pairing", app.state)
		assert.truthy(app.message:find("BCDF-GHJK", 1, true))
		assert.are.equal("0.1.0", http:last("POST", "^/api/v1/pairings$").Json.pluginVersion)
		scheduler:advance(5)
		assert.are.equal("listening", app.state)
		assert.are.equal("tok", plugin:GetSetting("RealtimeBridge.session").token)
		inbox:push("notification", { message = "Quiz ready" })
		scheduler:advance(1)
		assert.are.same({ "Quiz ready" }, notified)
		assert.are.equal("Bearer tok", http:last("GET", "/events$").Headers.Authorization)
	end)

	it("resumes from the saved cursor after a restart without repeating events", function()
		app:start()
		app:pair()
		scheduler:advance(5)
		inbox:push("notification", { message = "one" })
		scheduler:advance(1)
		app:stop()
		inbox:push("notification", { message = "two" })
		newApp(nil)
		app:start()
		scheduler:advance(1)
		assert.are.same({ "two" }, notified)
		assert.are.equal(2, plugin:GetSetting("RealtimeBridge.cursor").after)
	end)

	it("goes back to unpaired and forgets the token when the relay refuses it", function()
		app:start()
		app:pair()
		scheduler:advance(5)
		inbox.fail = { StatusCode = 401, Body = { code = "invalid_token" } }
		scheduler:advance(25)
		assert.are.equal("unpaired", app.state)
		assert.is_nil(plugin:GetSetting("RealtimeBridge.session"))
	end)

	it("uses SSE when Studio offers it", function()
		FakeRoblox.enableStreams(http)
		newApp("SSE")
		app:start()
		app:pair()
		scheduler:advance(5)
		assert.are.equal(1, #http.streams)
		assert.are.equal("connecting", app.state)
		http.streams[1].Opened:Fire(200, "")
		assert.are.equal("listening", app.state)
	end)

	it("shows the protocol mismatch message", function()
		http:route("GET", "^/api/v1/info$", function()
			return { StatusCode = 200, Body = { protocolVersion = 2 } }
		end)
		app:start()
		app:pair()
		assert.are.equal("error", app.state)
		assert.truthy(app.message:find("protocol version 2", 1, true))
	end)

	it("unpairs on the relay and locally", function()
		app:start()
		app:pair()
		scheduler:advance(5)
		app:unpair()
		assert.are.equal(1, http:count("DELETE", "^/api/v1/plugins/p1$"))
		assert.are.equal("Bearer tok", http:last("DELETE").Headers.Authorization)
		assert.is_nil(plugin:GetSetting("RealtimeBridge.session"))
		local polls = inbox.polls
		scheduler:advance(60)
		assert.are.equal(polls, inbox.polls)
	end)

	it("stops polling and pairing when the plugin unloads", function()
		app:start()
		app:pair()
		app:stop()
		scheduler:advance(60)
		assert.are.equal(0, http:count("POST", "token$"))
		assert.are.equal("stopped", app.state)
	end)

	it("installs the game-server module with its Shared modules", function()
		local function fakeInstance(name)
			local instance = { Name = name, children = {} }
			function instance:Clone()
				local copy = fakeInstance(self.Name)
				copy.clonedFrom = self
				return copy
			end
			function instance:FindFirstChild(childName)
				return self.children[childName]
			end
			function instance:Destroy()
				self.destroyed = true
			end
			return setmetatable({}, {
				__index = instance,
				__newindex = function(proxy, key, value)
					if key == "Parent" then
						value.children[proxy.Name] = proxy
					end
					rawset(instance, key, value)
				end,
			})
		end
		local root = { GameServer = { Bridge = fakeInstance("Bridge") }, Shared = fakeInstance("Shared") }
		local sss = fakeInstance("ServerScriptService")
		local module = App.installGameServer(root, sss)
		assert.are.equal(module, sss:FindFirstChild("RealtimeBridge"))
		assert.are.equal(root.GameServer.Bridge, module.clonedFrom)
		assert.are.equal(root.Shared, module:FindFirstChild("Shared").clonedFrom)
		local again = App.installGameServer(root, sss)
		assert.is_true(module.destroyed)
		assert.are.equal(again, sss:FindFirstChild("RealtimeBridge"))
	end)
end)
