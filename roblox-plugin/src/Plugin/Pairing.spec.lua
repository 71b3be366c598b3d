local Loader = require("support.Loader")
local FakeHttpService = require("support.FakeHttpService")
local FakeScheduler = require("support.FakeScheduler")
local RelayClient = Loader.load("Shared/RelayClient")
local Backoff = Loader.load("Shared/Backoff")
local Pairing = Loader.load("Plugin/Pairing")

describe("Pairing", function()
	local scheduler, http, pairing, states, tokenAnswers, codes

	local function problem(code)
		return { StatusCode = 400, Body = { title = "Bad Request", status = 400, code = code } }
	end

	before_each(function()
		scheduler = FakeScheduler.new()
		http = FakeHttpService.new({ scheduler = scheduler })
		states = {}
		tokenAnswers = {}
		codes = 0
		http:route("GET", "^/api/v1/info$", function()
			return { StatusCode = 200, Body = { version = "1.0.0", protocolVersion = 1 } }
		end)
		http:route("POST", "^/api/v1/pairings$", function()
			codes = codes + 1
			return {
				StatusCode = 201,
				Body = {
					deviceCode = "device-" .. codes,
					userCode = codes == 1 and "BCDFGHJK" or "LMNPQRST",
					verificationUri = "https://dash.example.org/pair",
					expiresIn = 600,
					interval = 5,
				},
			}
		end)
		http:route("POST", "^/api/v1/pairings/token$", function()
			local answer = table.remove(tokenAnswers, 1)
			if type(answer) == "string" and answer:match("^HttpError") then
				error(answer, 0)
			end
			if type(answer) == "string" then
				return problem(answer)
			end
			return answer or problem("authorization_pending")
		end)
		pairing = Pairing.new({
			client = RelayClient.new({ baseUrl = "http://localhost:8080", httpService = http }),
			task = scheduler.task,
			clock = scheduler.clock,
			backoff = Backoff.new({ base = 2, max = 30, jitter = 0 }),
			request = { placeId = 42, pluginVersion = "0.1.0" },
			onState = function(state)
				table.insert(states, state)
			end,
		})
	end)

	local function tokenPollTimes()
		local times = {}
		for _, request in ipairs(http.requests) do
			if request.Path == "/api/v1/pairings/token" then
				table.insert(times, request.At)
			end
		end
		return times
	end

	it("formats user codes as ABCD-EFGH", function()
		assert.are.equal("BCDF-GHJK", Pairing.formatUserCode("BCDFGHJK"))
		assert.are.equal("BCDF-GHJK", Pairing.formatUserCode("bcdf-ghjk"))
		assert.are.equal("ABC", Pairing.formatUserCode("abc"))
	end)

	it("checks the protocol, shows the code, polls at the interval and ends paired", function()
		tokenAnswers = {
			"authorization_pending",
			{ StatusCode = 200, Body = { accessToken = "tok", pluginId = "p1", channel = "private-plugin-p1" } },
		}
		pairing:start()
		assert.are.equal("waiting", pairing.state)
		assert.are.equal("BCDF-GHJK", pairing.userCode)
		assert.are.equal("https://dash.example.org/pair", pairing.verificationUri)
		assert.are.same({ placeId = 42, pluginVersion = "0.1.0" }, http:last("POST", "^/api/v1/pairings$").Json)
		scheduler:advance(10)
		assert.are.equal("paired", pairing.state)
		assert.are.same({ accessToken = "tok", pluginId = "p1", channel = "private-plugin-p1" }, pairing.result)
		assert.are.same({ 5, 10 }, tokenPollTimes())
		assert.are.same({ deviceCode = "device-1" }, http:last("POST", "token$").Json)
		assert.are.same({ "checking", "requesting", "waiting", "paired" }, states)
		assert.is_nil(http:last("POST", "token$").Headers.Authorization)
	end)

	it("adds 5 seconds to the interval on each slow_down", function()
		tokenAnswers = { "slow_down", "slow_down", "authorization_pending", "authorization_pending" }
		pairing:start()
		scheduler:advance(60)
		local times = tokenPollTimes()
		assert.are.same({ 5, 15, 30, 45, 60 }, { times[1], times[2], times[3], times[4], times[5] })
		assert.are.equal(15, pairing.interval)
	end)

	it("asks for a new code when the code expires", function()
		tokenAnswers = { "authorization_pending", "expired_token" }
		pairing:start()
		assert.are.equal("BCDF-GHJK", pairing.userCode)
		scheduler:advance(10)
		assert.are.equal("waiting", pairing.state)
		assert.are.equal("LMNP-QRST", pairing.userCode)
		assert.are.equal(2, codes)
		scheduler:advance(5)
		assert.are.equal("device-2", http:last("POST", "token$").Json.deviceCode)
	end)

	it("asks for a new code when its own clock says the code expired", function()
		pairing:start()
		scheduler:advance(600)
		assert.are.equal(2, codes)
		assert.are.equal("LMNP-QRST", pairing.userCode)
	end)

	it("gives up after maxCodes codes nobody approved", function()
		pairing.maxCodes = 2
		pairing:start()
		scheduler:advance(1300)
		assert.are.equal("expired", pairing.state)
		assert.are.equal(2, codes)
		assert.is_nil(pairing.userCode)
	end)

	it("stops on access_denied", function()
		tokenAnswers = { "access_denied" }
		pairing:start()
		scheduler:advance(5)
		assert.are.equal("denied", pairing.state)
		scheduler:advance(60)
		assert.are.equal(1, #tokenPollTimes())
	end)

	it("keeps its code and backs off while the relay is unreachable", function()
		tokenAnswers = {
			"HttpError: ConnectFail",
			{ StatusCode = 200, Body = { accessToken = "tok", pluginId = "p1", channel = "c" } },
		}
		pairing:start()
		scheduler:advance(5)
		assert.are.equal("waiting", pairing.state)
		assert.are.equal("unreachable", pairing.lastError.kind)
		scheduler:advance(2 + 5)
		assert.are.equal("paired", pairing.state)
		assert.are.equal(1, codes)
	end)

	it("fails with the clear message on a protocol mismatch, without asking for a code", function()
		http:route("GET", "^/api/v1/info$", function()
			return { StatusCode = 200, Body = { protocolVersion = 2 } }
		end)
		pairing:start()
		assert.are.equal("failed", pairing.state)
		assert.are.equal("protocol_mismatch", pairing.lastError.kind)
		assert.are.equal(0, codes)
	end)

	it("fails when HTTP is disabled", function()
		http.HttpEnabled = false
		pairing:start()
		assert.are.equal("failed", pairing.state)
		assert.are.equal("http_disabled", pairing.lastError.kind)
	end)

	it("retries the start while the relay is down", function()
		local down = true
		http:route("GET", "^/api/v1/info$", function()
			if down then
				error("HttpError: ConnectFail", 0)
			end
			return { StatusCode = 200, Body = { protocolVersion = 1 } }
		end)
		pairing:start()
		assert.are.equal("checking", pairing.state)
		assert.are.equal("unreachable", pairing.lastError.kind)
		down = false
		scheduler:advance(2)
		assert.are.equal("waiting", pairing.state)
	end)

	it("can be cancelled, and then polls no more", function()
		pairing:start()
		pairing:cancel()
		assert.are.equal("cancelled", pairing.state)
		scheduler:advance(60)
		assert.are.equal(0, #tokenPollTimes())
		assert.is_true(pairing:start())
	end)
end)
