-- Settings: what the plugin remembers between Studio sessions, through plugin:GetSetting /
-- plugin:SetSetting. The session (token, pluginId, channel) belongs to one relay URL: pointed at
-- another relay, the plugin is unpaired. The inbox cursor belongs to one pluginId, so a new
-- pairing starts from 0 rather than from another inbox's cursor.
local Settings = {}
Settings.__index = Settings

local SESSION = "RealtimeBridge.session"
local CURSOR = "RealtimeBridge.cursor"
local PREFIX = "RealtimeBridge."

function Settings.new(plugin, baseUrl)
	assert(plugin, "Settings needs the plugin object")
	return setmetatable({ _plugin = plugin, _baseUrl = baseUrl }, Settings)
end

function Settings:getSession()
	local session = self._plugin:GetSetting(SESSION)
	if type(session) ~= "table" or type(session.token) ~= "string" or session.baseUrl ~= self._baseUrl then
		return nil
	end
	return session
end

function Settings:saveSession(result)
	assert(type(result.accessToken) == "string", "saveSession needs an accessToken")
	local session = {
		baseUrl = self._baseUrl,
		token = result.accessToken,
		pluginId = result.pluginId,
		channel = result.channel,
	}
	self._plugin:SetSetting(SESSION, session)
	self._plugin:SetSetting(CURSOR, { pluginId = result.pluginId, after = 0 })
	return session
end

function Settings:clearSession()
	self._plugin:SetSetting(SESSION, nil)
	self._plugin:SetSetting(CURSOR, nil)
end

function Settings:getCursor()
	local session = self:getSession()
	local cursor = self._plugin:GetSetting(CURSOR)
	if not session or type(cursor) ~= "table" or cursor.pluginId ~= session.pluginId then
		return 0
	end
	return tonumber(cursor.after) or 0
end

function Settings:setCursor(after)
	local session = self:getSession()
	if session then
		self._plugin:SetSetting(CURSOR, { pluginId = session.pluginId, after = after })
	end
end

-- Any other preference, e.g. whether to publish selection changes.
function Settings:get(name, default)
	local value = self._plugin:GetSetting(PREFIX .. name)
	if value == nil then
		return default
	end
	return value
end

function Settings:set(name, value)
	self._plugin:SetSetting(PREFIX .. name, value)
end

return Settings
