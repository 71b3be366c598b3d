-- HttpServiceJson: the parts of Roblox's HttpService that do not touch the network
-- (JSONEncode, JSONDecode, UrlEncode), with Roblox's error messages. Both HttpService
-- stand-ins (FakeHttpService for unit specs, SocketHttpService for end-to-end runs) mix
-- these in, so they encode and fail exactly alike.
local json = require("dkjson")

local HttpServiceJson = {}

function HttpServiceJson.into(class)
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

return HttpServiceJson
