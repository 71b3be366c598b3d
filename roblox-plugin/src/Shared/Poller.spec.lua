local Loader = require("support.Loader")
local FakeHttpService = require("support.FakeHttpService")
local FakeScheduler = require("support.FakeScheduler")
local FakeRelay = require("support.FakeRelay")
local RelayClient = Loader.load("Shared/RelayClient")
local Poller = Loader.load("Shared/Poller")
local Cursor = Loader.load("Shared/Cursor")
local Dispatcher = Loader.load("Shared/Dispatcher")
local Backoff = Loader.load("Shared/Backoff")

local P = "/api/v1/plugins/p1"

describe("Poller", function()
	local scheduler, http, inbox, cursor, dispatcher, poller, handled, states, saved

	local function newPoller(after)
		saved = {}
		cursor = Cursor.new({
			after = after,
			onChange = function(value)
				table.insert(saved, value)
			end,
		})
		poller = Poller.new({
			client = RelayClient.new({ baseUrl = "https://relay.test", httpService = http, token = "t" }),
			path = P,
			cursor = cursor,
			dispatcher = dispatcher,
			backoff = Backoff.new({ base = 1, max = 16, jitter = 0 }),
			task = scheduler.task,
			clock = scheduler.clock,
			waitSeconds = 20,
			onState = function(state, detail)
				table.insert(states, { state = state, detail = detail })
			end,
		})
		return poller
	end

	before_each(function()
		scheduler = FakeScheduler.new()
		http = FakeHttpService.new({ scheduler = scheduler })
		inbox = FakeRelay.inbox(http, scheduler, P)
		handled = {}
		states = {}
		dispatcher = Dispatcher.new({ warn = function() end })
		dispatcher:on("*", function(data, envelope)
			table.insert(handled, envelope.event .. ":" .. tostring(envelope.seq))
		end)
		newPoller(0)
	end)

	it("hands events to the dispatcher in seq order and moves the cursor past each", function()
		inbox:push("a")
		inbox:push("b")
		poller:start()
		assert.are.same({ "a:1", "b:2" }, handled)
		assert.are.equal(2, cursor:after())
		assert.are.same({ 1, 2 }, saved)
		assert.are.equal("polling", poller.state)
	end)

	it("long-polls with after, wait and limit, and receives an event pushed while it waits", function()
		poller:start()
		scheduler:advance(5)
		inbox:push("late")
		scheduler:advance(1)
		assert.are.same({ "late:1" }, handled)
		local request = http:last("GET")
		assert.are.equal("1", request.Query.after)
		assert.are.equal("20", request.Query.wait)
		assert.are.equal("100", request.Query.limit)
	end)

	it("handles a redelivered event once (at-least-once delivery, exactly-once handlers)", function()
		-- A relay that lost our acknowledgement answers the same events again and again.
		http:route("GET", "/events$", function()
			return {
				StatusCode = 200,
				Body = { events = { { seq = 1, event = "a" }, { seq = 2, event = "b" } }, next = 2 },
			}
		end)
		newPoller(1) -- resumed from a saved cursor: seq 1 was handled before a restart
		scheduler.task.spawn(function()
			poller:pollOnce()
			poller:pollOnce()
		end)
		assert.are.same({ "b:2" }, handled)
		assert.are.equal(2, cursor:after())
	end)

	it("acknowledges by sending the cursor on the next poll", function()
		inbox:push("a")
		poller:start()
		scheduler:advance(1)
		assert.are.equal(1, inbox.acknowledged)
	end)

	it("backs off with growing delays while the relay is unreachable, then resumes", function()
		inbox.fail = "HttpError: ConnectFail"
		poller:start()
		assert.are.equal("backoff", poller.state)
		assert.are.equal("unreachable", poller.lastError.kind)
		scheduler:advance(1 + 2 + 4)
		assert.are.equal(4, inbox.polls) -- at 0, 1, 3, 7
		inbox.fail = nil
		inbox:push("back")
		scheduler:advance(8)
		assert.are.same({ "back:1" }, handled)
		assert.are.equal("polling", poller.state)
		assert.is_nil(poller.lastError)
	end)

	it("honours Retry-After from a 429", function()
		inbox.fail = { StatusCode = 429, Headers = { ["Retry-After"] = "30" }, Body = { code = "rate_limited" } }
		poller:start()
		inbox.fail = nil
		scheduler:advance(29)
		assert.are.equal(1, inbox.polls)
		scheduler:advance(1)
		assert.are.equal(2, inbox.polls)
	end)

	it("stops for good on errors retrying cannot fix", function()
		inbox.fail = { StatusCode = 401, Body = { code = "invalid_token" } }
		poller:start()
		assert.are.equal("failed", poller.state)
		assert.are.equal("unauthorized", poller.lastError.kind)
		scheduler:advance(600)
		assert.are.equal(1, inbox.polls)
	end)

	it("stops when the relay says the token was revoked", function()
		inbox:push("relay:revoked")
		inbox:push("after-revoke")
		poller:start()
		assert.are.equal("failed", poller.state)
		assert.are.equal("revoked", poller.lastError.code)
		assert.are.same({ "relay:revoked:1" }, handled)
	end)

	it("dispatches a local relay:gap when the relay reports lost events", function()
		inbox.gapOnce = true
		inbox:push("a")
		poller:start()
		assert.are.same({ "relay:gap:nil", "a:1" }, handled)
	end)

	it("stop() ends the loop and drops the in-flight answer so it comes again", function()
		poller:start()
		scheduler:advance(3)
		inbox:push("during-stop")
		poller:stop()
		scheduler:advance(60)
		assert.are.same({}, handled)
		assert.are.equal(0, cursor:after())
		assert.are.equal("stopped", poller.state)
		local polls = inbox.polls
		scheduler:advance(60)
		assert.are.equal(polls, inbox.polls)
		-- Started again, it gets the event it did not handle.
		poller:start()
		assert.are.same({ "during-stop:1" }, handled)
	end)

	it("does not spin when the relay answers at once with nothing", function()
		http:route("GET", "/events$", function()
			return { StatusCode = 200, Body = { events = {}, next = 0 } }
		end)
		poller:start()
		scheduler:advance(10)
		assert.are.equal(11, http:count("GET"))
	end)

	it("reports state changes", function()
		inbox.fail = "HttpError: ConnectFail"
		poller:start()
		assert.are.equal("polling", states[1].state)
		assert.are.equal("backoff", states[2].state)
		assert.are.equal(1, states[2].detail.delay)
	end)
end)
