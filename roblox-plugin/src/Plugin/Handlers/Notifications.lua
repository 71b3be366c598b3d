-- Notifications: turns `notification` events and the relay's own events into messages for the
-- widget. `notification` data: {title?, message, level? = "info"|"warning"|"error"}.
-- relay:gap -> a warning that events were missed; relay:watchers -> whether the dashboard is
-- watching this plugin. Keeps the last `keep` messages; `notify(entry)` shows one.
local Notifications = {}
Notifications.__index = Notifications

local LEVELS = { info = true, warning = true, error = true }

function Notifications.new(options)
	options = options or {}
	return setmetatable({
		_notify = options.notify,
		_onWatchers = options.onWatchers,
		keep = options.keep or 20,
		recent = {},
		watching = nil,
	}, Notifications)
end

function Notifications:push(entry)
	table.insert(self.recent, 1, entry)
	while #self.recent > self.keep do
		table.remove(self.recent)
	end
	if self._notify then
		self._notify(entry)
	end
	return entry
end

function Notifications:handle(data)
	if type(data) ~= "table" then
		data = { message = tostring(data) }
	end
	local message = data.message or data.text or data.body
	if message == nil then
		return nil
	end
	local level = LEVELS[data.level] and data.level or "info"
	return self:push({ title = data.title or "Realtime Bridge", message = tostring(message), level = level })
end

function Notifications:register(dispatcher)
	dispatcher:on("notification", function(data)
		self:handle(data)
	end)
	dispatcher:on("relay:gap", function()
		self:push({
			title = "Realtime Bridge",
			message = "Some events were missed while the relay was disconnected; generated content may be out of date.",
			level = "warning",
		})
	end)
	dispatcher:on("relay:watchers", function(data)
		self.watching = type(data) == "table" and data.watching == true
		if self._onWatchers then
			self._onWatchers(self.watching)
		end
	end)
end

return Notifications
