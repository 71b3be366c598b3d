-- Small fakes of the other Roblox pieces the modules touch: RBXScriptSignal, the `plugin`
-- object's settings (values are stored JSON-round-tripped, as Studio stores them), the Players
-- service with PlayerAdded/PlayerRemoving, and a WebStreamClient the spec drives by hand.
local json = require("dkjson")

local FakeRoblox = {}

-- RBXScriptSignal: Connect returns a connection with Disconnect(); Fire calls handlers in order.
local Signal = {}
Signal.__index = Signal

function FakeRoblox.signal()
	return setmetatable({ handlers = {} }, Signal)
end

function Signal:Connect(fn)
	local entry = { fn = fn, Connected = true }
	table.insert(self.handlers, entry)
	function entry.Disconnect()
		entry.Connected = false
		for i, other in ipairs(self.handlers) do
			if other == entry then
				table.remove(self.handlers, i)
				break
			end
		end
	end
	return entry
end

function Signal:Fire(...)
	local list = {}
	for i, entry in ipairs(self.handlers) do
		list[i] = entry
	end
	for _, entry in ipairs(list) do
		if entry.Connected then
			entry.fn(...)
		end
	end
end

function Signal:count()
	return #self.handlers
end

-- plugin: GetSetting/SetSetting keep JSON-compatible values only.
function FakeRoblox.plugin()
	local stored = {}
	local fake = { Unloading = FakeRoblox.signal(), stored = stored, writes = 0 }
	function fake:GetSetting(key)
		local text = stored[key]
		if text == nil then
			return nil
		end
		return (json.decode(text))
	end
	function fake:SetSetting(key, value)
		if type(value) == "function" or type(value) == "userdata" or type(value) == "thread" then
			error("Unable to cast value to std::string", 2)
		end
		self.writes = self.writes + 1
		if value == nil then
			stored[key] = nil
		else
			stored[key] = json.encode(value)
		end
	end
	return fake
end

-- Players service.
function FakeRoblox.players()
	local fake = { PlayerAdded = FakeRoblox.signal(), PlayerRemoving = FakeRoblox.signal(), list = {} }
	function fake:GetPlayers()
		local copy = {}
		for i, player in ipairs(self.list) do
			copy[i] = player
		end
		return copy
	end
	function fake:join(userId, name, displayName)
		local player = { UserId = userId, Name = name, DisplayName = displayName or name }
		table.insert(self.list, player)
		self.PlayerAdded:Fire(player)
		return player
	end
	-- Roblox fires PlayerRemoving while the player is still in GetPlayers().
	function fake:leave(player)
		self.PlayerRemoving:Fire(player)
		for i, other in ipairs(self.list) do
			if other == player then
				table.remove(self.list, i)
				break
			end
		end
	end
	return fake
end

-- WebStreamClient (SSE): the spec fires Opened/MessageReceived/Error/Closed itself.
function FakeRoblox.webStreamClient(options)
	local client = {
		options = options,
		Opened = FakeRoblox.signal(),
		MessageReceived = FakeRoblox.signal(),
		Error = FakeRoblox.signal(),
		Closed = FakeRoblox.signal(),
		closed = false,
	}
	function client:Close()
		if not self.closed then
			self.closed = true
			self.Closed:Fire()
		end
	end
	return client
end

-- Adds CreateWebStreamClient to a FakeHttpService; at most `limit` open streams, like Studio's six.
function FakeRoblox.enableStreams(http, limit)
	limit = limit or 6
	http.streams = {}
	function http:CreateWebStreamClient(clientType, options)
		if clientType ~= "SSE" then
			error("Unsupported stream client type", 2)
		end
		local open = 0
		for _, stream in ipairs(self.streams) do
			if not stream.closed then
				open = open + 1
			end
		end
		if open >= limit then
			error("Too many open WebStreamClients", 2)
		end
		local client = FakeRoblox.webStreamClient(options)
		table.insert(self.streams, client)
		return client
	end
	return http
end

return FakeRoblox
