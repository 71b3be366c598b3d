-- FilePlugin: the `plugin` object's GetSetting/SetSetting kept in a JSON file, as Studio keeps
-- plugin settings on disk between sessions. A new FilePlugin over the same file is the plugin
-- after Studio was closed and opened again. Values must be JSON-compatible (Studio refuses
-- functions and instances the same way). Also has the Unloading signal.
local json = require("dkjson")
local FakeRoblox = require("support.FakeRoblox")

local FilePlugin = {}
FilePlugin.__index = FilePlugin

function FilePlugin.new(path)
	assert(type(path) == "string", "FilePlugin needs a file path")
	return setmetatable({ path = path, Unloading = FakeRoblox.signal(), writes = 0 }, FilePlugin)
end

function FilePlugin:read()
	local file = io.open(self.path, "r")
	if not file then
		return {}
	end
	local text = file:read("*a")
	file:close()
	if text == "" then
		return {}
	end
	local values, _, err = json.decode(text)
	assert(type(values) == "table", "plugin settings file is not JSON: " .. tostring(err))
	return values
end

function FilePlugin:GetSetting(key)
	return self:read()[key]
end

function FilePlugin:SetSetting(key, value)
	if type(value) == "function" or type(value) == "userdata" or type(value) == "thread" then
		error("Unable to cast value to std::string", 2)
	end
	local values = self:read()
	values[key] = value
	local temporary = self.path .. ".tmp"
	local file = assert(io.open(temporary, "w"))
	file:write(json.encode(values, { indent = true }))
	file:close()
	assert(os.rename(temporary, self.path))
	self.writes = self.writes + 1
end

return FilePlugin
