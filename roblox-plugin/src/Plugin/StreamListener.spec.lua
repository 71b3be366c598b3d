local Loader = require("support.Loader")
local FakeHttpService = require("support.FakeHttpService")
local FakeScheduler = require("support.FakeScheduler")
local FakeRoblox = require("support.FakeRoblox")
local RelayClient = Loader.load("Shared/RelayClient")
local Cursor = Loader.load("Shared/Cursor")
local Dispatcher = Loader.load("Shared/Dispatcher")
local Backoff = Loader.load("Shared/Backoff")
local StreamListener = Loader.load("Plugin/StreamListener")

local P = "/api/v1/plugins/p1"

describe("StreamListener", function()
	local scheduler, http, cursor, dispatcher, handled, listener, pollerStarted, json

	local function newListener(options)
		options = options or {}
		pollerStarted = 0
		listener = StreamListener.new({
			httpService = http,
			client = RelayClient.new({ baseUrl = "http://localhost:8080", httpService = http, token = "tok" }),
			path = P,
			token = "tok",
			cursor = cursor,
			dispatcher = dispatcher,
			task = scheduler.task,
			backoff = Backoff.new({ base = 1, jitter = 0 }),
			streamType = options.streamType or "SSE",
			failuresBeforePolling = 3,
			warn = function() end,
			createPoller = function()
				return {
					start = function()
						pollerStarted = pollerStarted + 1
					end,
					stop = function() end,
				}
			end,
		})
		return listener
	end

	local function envelope(seq, event)
		return json.encode({ seq = seq, channel = "private-plugin-p1", event = event, data = { n = seq } })
	end

	before_each(function()
		json = require("dkjson")
		scheduler = FakeScheduler.new()
		http = FakeRoblox.enableStreams(FakeHttpService.new({ scheduler = scheduler }))
		cursor = Cursor.new({ after = 4 })
		handled = {}
		dispatcher = Dispatcher.new({ warn = function() end })
		dispatcher:on("*", function(_, e)
			table.insert(handled, e.event .. ":" .. tostring(e.seq))
		end)
		newListener()
	end)

	it("opens an SSE stream on P/stream resuming from the cursor, with the bearer token", function()
		listener:start()
		local stream = http.streams[1]
		assert.are.equal("http://localhost:8080" .. P .. "/stream?after=4", stream.options.Url)
		assert.are.equal("Bearer tok", stream.options.Headers.Authorization)
		assert.are.equal("4", stream.options.Headers["Last-Event-ID"])
		assert.are.equal("connecting", listener.state)
		stream.Opened:Fire(200, "content-type: text/event-stream")
		assert.are.equal("streaming", listener.state)
	end)

	it("dispatches new events in order, skips seen ones and moves the cursor", function()
		listener:start()
		local stream = http.streams[1]
		stream.Opened:Fire(200, "")
		stream.MessageReceived:Fire(envelope(4, "old"))
		stream.MessageReceived:Fire(envelope(5, "a"))
		stream.MessageReceived:Fire(envelope(5, "a-again"))
		stream.MessageReceived:Fire("id: 6\nevent: b\ndata: " .. envelope(6, "b"))
		stream.MessageReceived:Fire(": heartbeat")
		assert.are.same({ "a:5", "b:6" }, handled)
		assert.are.equal(6, cursor:after())
	end)

	it("passes on the relay's seq-less relay:gap notice without moving the cursor", function()
		listener:start()
		local stream = http.streams[1]
		stream.Opened:Fire(200, "")
		stream.MessageReceived:Fire(
			json.encode({ channel = "private-plugin-p1", event = "relay:gap", data = { reason = "retention" } })
		)
		stream.MessageReceived:Fire(envelope(5, "a"))
		assert.are.same({ "relay:gap:nil", "a:5" }, handled)
		assert.are.equal(5, cursor:after())
	end)

	it("reconnects after a drop from where it got to, with backoff", function()
		listener:start()
		http.streams[1].Opened:Fire(200, "")
		http.streams[1].MessageReceived:Fire(envelope(5, "a"))
		http.streams[1].Error:Fire(0, "connection reset")
		assert.are.equal("backoff", listener.state)
		assert.is_true(http.streams[1].closed)
		scheduler:advance(1)
		assert.are.equal(2, #http.streams)
		assert.are.equal("5", http.streams[2].options.Headers["Last-Event-ID"])
	end)

	it("falls back to long-polling when Studio offers no streams", function()
		http.CreateWebStreamClient = nil
		listener:start()
		assert.are.equal("polling", listener.state)
		assert.are.equal(1, pollerStarted)
	end)

	it("falls back to long-polling when Studio refuses another stream (six at most)", function()
		for _ = 1, 6 do
			http:CreateWebStreamClient("SSE", {})
		end
		listener:start()
		assert.are.equal("polling", listener.state)
	end)

	it("falls back to long-polling after repeated failures to open", function()
		listener:start()
		for i = 1, 3 do
			http.streams[i].Error:Fire(0, "idle timeout")
			scheduler:advance(10)
		end
		assert.are.equal("polling", listener.state)
		assert.are.equal(3, #http.streams)
		assert.are.equal(1, pollerStarted)
	end)

	it("stops for good when the relay refuses the token", function()
		listener:start()
		http.streams[1].Error:Fire(401, "Unauthorized")
		scheduler:advance(60)
		assert.are.equal("failed", listener.state)
		assert.are.equal("unauthorized", listener.lastError.kind)
		assert.are.equal(1, #http.streams)
	end)

	it("stop() closes the stream and ignores what comes after", function()
		listener:start()
		local stream = http.streams[1]
		stream.Opened:Fire(200, "")
		listener:stop()
		assert.is_true(stream.closed)
		stream.MessageReceived:Fire(envelope(5, "late"))
		scheduler:advance(60)
		assert.are.same({}, handled)
		assert.are.equal("stopped", listener.state)
		assert.are.equal(1, #http.streams)
	end)
end)
