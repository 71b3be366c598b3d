local Loader = require("support.Loader")
local Dispatcher = Loader.load("Shared/Dispatcher")
local Handlers = Loader.load("Plugin/Handlers")

describe("Handlers.registerAll", function()
	it("wires progress, notifications and (with Roblox seams) insertion to the dispatcher", function()
		local dispatcher = Dispatcher.new({ warn = function() end })
		local progressShown, notified
		local handlers = Handlers.registerAll(dispatcher, {
			onProgress = function(jobs)
				progressShown = jobs
			end,
			notify = function(entry)
				notified = entry
			end,
		})
		dispatcher:dispatch({ event = "progress", channel = "content-generation-5", data = { progress = 20 } })
		dispatcher:dispatch({ event = "notification", data = { message = "hello" } })
		assert.are.equal(20, progressShown[1].percent)
		assert.are.equal("hello", notified.message)
		assert.is_nil(handlers.inserter)
		assert.are.equal(0, dispatcher:handlerCount("insert-content"))
	end)

	it("announces inserted content", function()
		local dispatcher = Dispatcher.new({ warn = function() end })
		local folder = { FindFirstChild = function() end }
		local notified
		Handlers.registerAll(dispatcher, {
			notify = function(entry)
				notified = entry
			end,
			createInstance = function(className)
				return { ClassName = className }
			end,
			getService = function()
				return folder
			end,
		})
		dispatcher:dispatch({
			event = "insert-content",
			data = { title = "Fractions quiz", instances = { { className = "Script", name = "Quiz", source = "" } } },
		})
		assert.are.equal("Inserted 1 item(s): Fractions quiz", notified.message)
	end)
end)
