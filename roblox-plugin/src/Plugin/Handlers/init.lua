-- Handlers: registers every event handler of the Studio plugin on a Dispatcher.
-- context: { onProgress, notify, onWatchers, createInstance, getService, changeHistory,
-- selection, commitOperation, clock, warn }. Returns the handler objects for the widget.
local ContentProgress = require(script.ContentProgress)
local InsertContent = require(script.InsertContent)
local Notifications = require(script.Notifications)

local Handlers = {}

function Handlers.registerAll(dispatcher, context)
	local progress = ContentProgress.new({ onChange = context.onProgress, clock = context.clock })
	progress:register(dispatcher)
	local notifications =
		Notifications.new({ notify = context.notify, onWatchers = context.onWatchers, keep = context.keep })
	notifications:register(dispatcher)
	local inserter
	if context.createInstance and context.getService then
		inserter = InsertContent.new({
			createInstance = context.createInstance,
			getService = context.getService,
			changeHistory = context.changeHistory,
			selection = context.selection,
			commitOperation = context.commitOperation,
			warn = context.warn,
			onInserted = function(created, data)
				notifications:push({
					title = "Realtime Bridge",
					message = string.format(
						"Inserted %d item(s)%s",
						#created,
						data.title and (": " .. data.title) or ""
					),
					level = "info",
				})
			end,
		})
		inserter:register(dispatcher)
	end
	return { progress = progress, notifications = notifications, inserter = inserter }
end

return Handlers
