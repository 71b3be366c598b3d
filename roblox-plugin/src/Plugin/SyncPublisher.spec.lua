local Loader = require("support.Loader")
local FakeHttpService = require("support.FakeHttpService")
local FakeScheduler = require("support.FakeScheduler")
local RelayClient = Loader.load("Shared/RelayClient")
local Backoff = Loader.load("Shared/Backoff")
local SyncPublisher = Loader.load("Plugin/SyncPublisher")

local P = "/api/v1/plugins/p1"

describe("SyncPublisher", function()
	local scheduler, http, publisher, status

	before_each(function()
		scheduler = FakeScheduler.new()
		http = FakeHttpService.new({ scheduler = scheduler })
		status = 202
		http:route("POST", "^" .. P .. "/trigger$", function(request)
			assert(#request.Json.events >= 1 and #request.Json.events <= 10, "relay takes 1-10 events")
			if status == 202 then
				return { StatusCode = 202, Body = { accepted = #request.Json.events } }
			end
			return { StatusCode = status, Body = { code = "unavailable" } }
		end)
		publisher = SyncPublisher.new({
			client = RelayClient.new({ baseUrl = "http://localhost:8080", httpService = http, token = "tok" }),
			path = P,
			task = scheduler.task,
			throttleSeconds = 2,
			idPrefix = "p1",
			backoff = Backoff.new({ base = 1, jitter = 0 }),
		})
	end)

	local function triggers()
		local list = {}
		for _, request in ipairs(http.requests) do
			if request.Path == P .. "/trigger" then
				table.insert(list, request.Json.events)
			end
		end
		return list
	end

	it("throttles selection changes into one roblox-sync event with the latest selection", function()
		publisher:selectionChanged({ "Workspace.A" })
		scheduler:advance(0.5)
		publisher:selectionChanged({ "Workspace.A", "Workspace.B" })
		publisher:selectionChanged({ "Workspace.C" })
		scheduler:advance(1.5)
		local sent = triggers()
		assert.are.equal(1, #sent)
		assert.are.equal(1, #sent[1])
		local event = sent[1][1]
		assert.are.equal("roblox-sync", event.channel)
		assert.are.equal("selection-changed", event.event)
		assert.are.same({ selection = { "Workspace.C" }, count = 1 }, event.data)
		assert.is_string(event.id)
	end)

	it("sends different kinds together, each with its own id", function()
		publisher:placeChanged({ placeId = 1, name = "Lesson" })
		publisher:rosterChanged({ { userId = 7, name = "teacher" } })
		scheduler:advance(2)
		local events = triggers()[1]
		assert.are.equal(2, #events)
		assert.are.equal("place-changed", events[1].event)
		assert.are.equal("team-create-roster", events[2].event)
		assert.are_not.equal(events[1].id, events[2].id)
	end)

	it("never puts more than 10 events in one call", function()
		for i = 1, 25 do
			publisher:publish("custom", { i = i })
		end
		scheduler:advance(2)
		local sizes = {}
		for i, events in ipairs(triggers()) do
			sizes[i] = #events
		end
		assert.are.same({ 10, 10, 5 }, sizes)
		assert.are.equal(25, publisher.published)
	end)

	it("retries with the same id while the relay is unavailable", function()
		status = 503
		publisher:placeChanged({ placeId = 1 })
		scheduler:advance(2)
		status = 202
		scheduler:advance(1)
		local sent = triggers()
		assert.are.equal(2, #sent)
		assert.are.equal(sent[1][1].id, sent[2][1].id)
		assert.are.equal(0, publisher:pending())
	end)
end)
