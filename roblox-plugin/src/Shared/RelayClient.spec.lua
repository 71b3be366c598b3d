local Loader = require("support.Loader")
local FakeHttpService = require("support.FakeHttpService")
local FakeScheduler = require("support.FakeScheduler")
local RelayClient = Loader.load("Shared/RelayClient")
local RequestBudget = Loader.load("Shared/RequestBudget")

local BASE = "https://relay.example.org"

describe("RelayClient", function()
	local http, client
	before_each(function()
		http = FakeHttpService.new()
		client = RelayClient.new({ baseUrl = BASE .. "/", httpService = http, token = "tok-1" })
	end)

	it("sends JSON with the bearer token and decodes the JSON answer", function()
		http:route("POST", "^/api/v1/plugins/p1/trigger$", function(request)
			return { StatusCode = 202, Body = { accepted = #request.Json.events } }
		end)
		local ok, body, response =
			client:post("/api/v1/plugins/p1/trigger", { events = { { channel = "roblox-sync" } } })
		assert.is_true(ok)
		assert.are.same({ accepted = 1 }, body)
		assert.are.equal(202, response.StatusCode)
		local request = http:last()
		assert.are.equal(BASE .. "/api/v1/plugins/p1/trigger", request.Url)
		assert.are.equal("Bearer tok-1", request.Headers.Authorization)
		assert.are.equal("application/json", request.Headers["Content-Type"])
	end)

	it("encodes query values and path segments", function()
		http:route("GET", ".*", function()
			return { StatusCode = 200, Body = { events = {} } }
		end)
		client:get(client:path("/api/v1/games/%s/servers/%s/events", "my game", "job/1"), { after = 5, wait = 20 })
		local request = http:last()
		assert.are.equal(BASE .. "/api/v1/games/my%20game/servers/job%2F1/events?after=5&wait=20", request.Url)
		assert.are.equal("5", request.Query.after)
	end)

	it("accepts a Roblox Secret as the token without ever reading it", function()
		http.secrets.key = "server-key-xyz"
		client:setToken(http:GetSecret("key"))
		http:route("GET", ".*", function()
			return { StatusCode = 204 }
		end)
		local ok, body = client:get("/x")
		assert.is_true(ok)
		assert.is_nil(body)
		assert.are.equal("Bearer server-key-xyz", http:last().Headers.Authorization)
	end)

	it("keeps the problem+json code, status and field errors of a refusal", function()
		http:route("POST", ".*", function()
			return {
				StatusCode = 400,
				Body = {
					type = "about:blank",
					title = "Bad Request",
					status = 400,
					code = "slow_down",
					detail = "Polling too fast",
					errors = { deviceCode = { "required" } },
				},
			}
		end)
		local ok, err = client:post("/api/v1/pairings/token", { deviceCode = "d" })
		assert.is_false(ok)
		assert.are.equal("problem", err.kind)
		assert.are.equal(400, err.status)
		assert.are.equal("slow_down", err.code)
		assert.are.same({ deviceCode = { "required" } }, err.errors)
		assert.is_false(err.retryable)
		assert.truthy(err.message:find("Polling too fast", 1, true))
	end)

	it("marks 5xx and 429 retryable and reads Retry-After", function()
		http:route("GET", ".*", function()
			return { StatusCode = 429, Headers = { ["Retry-After"] = "12" }, Body = { code = "rate_limited" } }
		end)
		local _, err = client:get("/x")
		assert.is_true(err.retryable)
		assert.are.equal(12, err.retryAfter)
		http:route("GET", ".*", function()
			return { StatusCode = 503, Body = "upstream down" }
		end)
		_, err = client:get("/x")
		assert.is_true(err.retryable)
		assert.are.equal(503, err.status)
	end)

	it("says the token is no good on 401", function()
		http:route("GET", ".*", function()
			return { StatusCode = 401, Body = { code = "invalid_token" } }
		end)
		local _, err = client:get("/x")
		assert.are.equal("unauthorized", err.kind)
		assert.are.equal("invalid_token", err.code)
		assert.truthy(err.message:find("Pair again", 1, true))
	end)

	it("explains that HTTP is disabled", function()
		http.HttpEnabled = false
		local ok, err = client:get("/api/v1/info")
		assert.is_false(ok)
		assert.are.equal("http_disabled", err.kind)
		assert.is_false(err.retryable)
		assert.truthy(err.message:find("Allow HTTP Requests", 1, true))
	end)

	it("explains that the relay cannot be reached, naming its URL", function()
		http:route("GET", ".*", function()
			error("HttpError: ConnectFail", 0)
		end)
		local _, err = client:get("/x")
		assert.are.equal("unreachable", err.kind)
		assert.is_true(err.retryable)
		assert.truthy(err.message:find(BASE, 1, true))
		assert.truthy(err.message:find("ConnectFail", 1, true))
	end)

	it("reports a timeout when the relay holds longer than RequestAsync waits", function()
		local scheduler = FakeScheduler.new()
		http = FakeHttpService.new({ scheduler = scheduler })
		client = RelayClient.new({ baseUrl = BASE, httpService = http })
		http:route("GET", ".*", function()
			scheduler.task.wait(31)
			return { StatusCode = 200, Body = {} }
		end)
		local ok, err
		scheduler.task.spawn(function()
			ok, err = client:get("/slow")
		end)
		scheduler:advance(31)
		assert.is_false(ok)
		assert.are.equal("timeout", err.kind)
		assert.is_true(err.retryable)
	end)

	it("reports an answer that is not JSON", function()
		http:route("GET", ".*", function()
			return { StatusCode = 200, Body = "<html>captive portal</html>" }
		end)
		local ok, err = client:get("/x")
		assert.is_false(ok)
		assert.are.equal("bad_response", err.kind)
	end)

	it("waits for the request budget before each request", function()
		local scheduler = FakeScheduler.new()
		http = FakeHttpService.new({ scheduler = scheduler })
		local budget = RequestBudget.new({ limit = 2, margin = 0, clock = scheduler.clock, task = scheduler.task })
		client = RelayClient.new({ baseUrl = BASE, httpService = http, budget = budget })
		http:route("GET", ".*", function()
			return { StatusCode = 200, Body = {} }
		end)
		local done = 0
		scheduler.task.spawn(function()
			for _ = 1, 3 do
				client:get("/x")
				done = done + 1
			end
		end)
		assert.are.equal(2, done)
		assert.are.equal(2, #http.requests)
		scheduler:advance(60)
		assert.are.equal(3, done)
	end)

	describe("checkProtocol", function()
		local function relayInfo(version)
			http:route("GET", "^/api/v1/info$", function()
				return { StatusCode = 200, Body = { version = "1.0.0", protocolVersion = version } }
			end)
		end

		it("accepts the same protocol version and returns the info, sending no token", function()
			relayInfo(1)
			local ok, info = client:checkProtocol()
			assert.is_true(ok)
			assert.are.equal("1.0.0", info.version)
			assert.is_nil(http:last().Headers.Authorization)
		end)

		it("tells the user to update the plugin when the relay is newer", function()
			relayInfo(2)
			local ok, err = client:checkProtocol()
			assert.is_false(ok)
			assert.are.equal("protocol_mismatch", err.kind)
			assert.are.equal(
				"The relay speaks protocol version 2 but this code speaks version 1. Update the plugin: "
					.. "download it again from https://relay.example.org/plugin/RealtimeBridge.rbxmx.",
				err.message
			)
		end)

		it("tells the user to update the relay when the relay is older", function()
			client = RelayClient.new({ baseUrl = BASE, httpService = http, protocolVersion = 3 })
			relayInfo(2)
			local _, err = client:checkProtocol()
			assert.truthy(err.message:find("update the relay", 1, true))
		end)

		it("notices a server that is not a relay", function()
			http:route("GET", "^/api/v1/info$", function()
				return { StatusCode = 200, Body = { hello = "world" } }
			end)
			local _, err = client:checkProtocol()
			assert.are.equal("not_a_relay", err.kind)
		end)
	end)
end)
