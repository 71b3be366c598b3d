-- HttpServiceCommon: the parts of Roblox's HttpService that do not touch the network
-- (JSONEncode, JSONDecode, UrlEncode, RequestAsync's checks of its options), with Roblox's
-- error messages. Both HttpService stand-ins (FakeHttpService for unit specs,
-- SocketHttpService for end-to-end runs) use these, so they encode and fail exactly alike.
local json = require("dkjson")

local HttpServiceCommon = {}

local METHODS = { GET = true, POST = true, PUT = true, DELETE = true, PATCH = true, HEAD = true, OPTIONS = true }

-- What RequestAsync refuses before sending anything; returns the method. Errors are raised
-- at RequestAsync's caller, as Roblox's are.
function HttpServiceCommon.checkRequest(service, options)
	if type(options) ~= "table" or type(options.Url) ~= "string" then
		error("Unable to cast to Dictionary", 3)
	end
	local method = options.Method or "GET"
	if not METHODS[method] then
		error("Invalid http method: " .. tostring(method), 3)
	end
	if not service.HttpEnabled then
		error("Http requests are not enabled. Enable via game settings", 3)
	end
	return method
end

-- Adds JSONEncode, JSONDecode and UrlEncode to `class`.
function HttpServiceCommon.into(class)
	function class:JSONEncode(value)
		local ok, text = pcall(json.encode, value)
		if not ok or text == nil then
			error("Can't convert to JSON", 2)
		end
		return text
	end

	function class:JSONDecode(text)
		if type(text) ~= "string" then
			error("Can't parse JSON", 2)
		end
		local value, _, err = json.decode(text, 1, nil)
		if err then
			error("Can't parse JSON", 2)
		end
		return value
	end

	function class:UrlEncode(text)
		return (
			tostring(text):gsub("[^%w%-_%.~]", function(char)
				return string.format("%%%02X", string.byte(char))
			end)
		)
	end

	return class
end

return HttpServiceCommon
