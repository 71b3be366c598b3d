local Loader = require("support.Loader")
local FakeScheduler = require("support.FakeScheduler")
local Dispatcher = Loader.load("Shared/Dispatcher")

describe("Dispatcher", function()
	local warnings, dispatcher
	before_each(function()
		warnings = {}
		dispatcher = Dispatcher.new({
			warn = function(message)
				table.insert(warnings, message)
			end,
		})
	end)

	it("calls the handlers of the event's name with data and envelope, in order", function()
		local calls = {}
		dispatcher:on("progress", function(data, envelope)
			table.insert(calls, { "first", data.percent, envelope.channel })
		end)
		dispatcher:on("progress", function(data)
			table.insert(calls, { "second", data.percent })
		end)
		dispatcher:on("other", function()
			table.insert(calls, { "other" })
		end)
		local ran =
			dispatcher:dispatch({ event = "progress", channel = "content-generation-1", data = { percent = 40 } })
		assert.are.equal(2, ran)
		assert.are.same({ { "first", 40, "content-generation-1" }, { "second", 40 } }, calls)
	end)

	it("keeps going when one handler errors, and reports the error", function()
		local reached = false
		dispatcher:on("x", function()
			error("handler broke")
		end)
		dispatcher:on("x", function()
			reached = true
		end)
		local ran, errors = dispatcher:dispatch({ event = "x" })
		assert.are.equal(2, ran)
		assert.is_true(reached)
		assert.are.equal(1, #errors)
		assert.truthy(warnings[1]:find('handler for "x" failed', 1, true))
		assert.truthy(warnings[1]:find("handler broke", 1, true))
	end)

	it("gives * handlers every event", function()
		local seen = {}
		dispatcher:on("*", function(_, envelope)
			table.insert(seen, envelope.event)
		end)
		dispatcher:dispatch({ event = "a" })
		dispatcher:dispatch({ event = "b" })
		assert.are.same({ "a", "b" }, seen)
	end)

	it("stops calling a disconnected handler", function()
		local count = 0
		local connection = dispatcher:on("x", function()
			count = count + 1
		end)
		dispatcher:dispatch({ event = "x" })
		connection.Disconnect()
		dispatcher:dispatch({ event = "x" })
		assert.are.equal(1, count)
		assert.are.equal(0, dispatcher:handlerCount("x"))
	end)

	it("lets handlers yield before the next one runs", function()
		local scheduler = FakeScheduler.new()
		local order = {}
		dispatcher:on("x", function()
			scheduler.task.wait(2)
			table.insert(order, "slow")
		end)
		dispatcher:on("x", function()
			table.insert(order, "fast")
		end)
		scheduler.task.spawn(function()
			dispatcher:dispatch({ event = "x" })
		end)
		assert.are.same({}, order)
		scheduler:advance(2)
		assert.are.same({ "slow", "fast" }, order)
	end)
end)
