-- Dispatcher: hands each inbox event to the handlers registered for its name (and to handlers
-- of "*", which hear everything). Handlers run in registration order; one that errors is reported
-- through `warn` and does not stop the others. Handlers may yield.
local Safe = require(script.Parent.Safe)

local Dispatcher = {}
Dispatcher.__index = Dispatcher

function Dispatcher.new(options)
	options = options or {}
	return setmetatable({
		_handlers = {},
		_warn = options.warn or warn or print,
	}, Dispatcher)
end

-- Registers `fn(data, envelope)` for `eventName`; returns a connection with Disconnect().
function Dispatcher:on(eventName, fn)
	assert(type(eventName) == "string" and eventName ~= "", "event name must be a non-empty string")
	assert(type(fn) == "function", "handler must be a function")
	local list = self._handlers[eventName]
	if not list then
		list = {}
		self._handlers[eventName] = list
	end
	local entry = { fn = fn }
	table.insert(list, entry)
	local connection = { Connected = true }
	function connection.Disconnect()
		connection.Connected = false
		for i, other in ipairs(list) do
			if other == entry then
				table.remove(list, i)
				break
			end
		end
	end
	return connection
end

function Dispatcher:handlerCount(eventName)
	local list = self._handlers[eventName]
	return list and #list or 0
end

-- Calls the handlers for envelope.event then the "*" handlers. Returns how many ran and
-- the list of error messages.
function Dispatcher:dispatch(envelope)
	local errors = {}
	local ran = 0
	local targets = {}
	for _, name in ipairs({ envelope.event, "*" }) do
		for _, entry in ipairs(self._handlers[name] or {}) do
			table.insert(targets, entry)
		end
	end
	for _, entry in ipairs(targets) do
		ran = ran + 1
		local ok, err = Safe.pcall(entry.fn, envelope.data, envelope)
		if not ok then
			local message =
				string.format("Realtime Bridge: handler for %q failed: %s", tostring(envelope.event), tostring(err))
			table.insert(errors, message)
			self._warn(message)
		end
	end
	return ran, errors
end

return Dispatcher
