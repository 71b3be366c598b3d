local Loader = require("support.Loader")
local Dispatcher = Loader.load("Shared/Dispatcher")
local Notifications = Loader.load("Plugin/Handlers/Notifications")

describe("Notifications", function()
	local shown, watching, notifications, dispatcher
	before_each(function()
		shown = {}
		notifications = Notifications.new({
			keep = 3,
			notify = function(entry)
				table.insert(shown, entry)
			end,
			onWatchers = function(value)
				watching = value
			end,
		})
		dispatcher = Dispatcher.new({ warn = function() end })
		notifications:register(dispatcher)
	end)

	it("shows a notification event with its level", function()
		dispatcher:dispatch({
			event = "notification",
			data = { title = "Class", message = "Quiz ready", level = "warning" },
		})
		assert.are.same({ title = "Class", message = "Quiz ready", level = "warning" }, shown[1])
	end)

	it("defaults the level and title, and ignores events without a message", function()
		dispatcher:dispatch({ event = "notification", data = { message = "hi", level = "shout" } })
		dispatcher:dispatch({ event = "notification", data = { nothing = true } })
		assert.are.equal(1, #shown)
		assert.are.equal("info", shown[1].level)
		assert.are.equal("Realtime Bridge", shown[1].title)
	end)

	it("warns about a relay gap", function()
		dispatcher:dispatch({ event = "relay:gap", data = { reason = "expired" } })
		assert.are.equal("warning", shown[1].level)
		assert.truthy(shown[1].message:find("missed", 1, true))
	end)

	it("tracks whether the dashboard is watching", function()
		dispatcher:dispatch({ event = "relay:watchers", data = { watching = true } })
		assert.is_true(watching)
		dispatcher:dispatch({ event = "relay:watchers", data = { watching = false } })
		assert.is_false(notifications.watching)
	end)

	it("keeps only the most recent messages, newest first", function()
		for i = 1, 5 do
			notifications:handle({ message = "m" .. i })
		end
		assert.are.equal(3, #notifications.recent)
		assert.are.equal("m5", notifications.recent[1].message)
	end)
end)
