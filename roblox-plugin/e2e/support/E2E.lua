-- E2E: the Lua half of the end-to-end runs (roblox-plugin/e2e/*.e2e.lua), started by
-- tests/Realtime.Relay.Tests/Processes/LuaEndToEndTests.cs against a live relay and soketi.
-- The C# test plays the parts Lua cannot (the backend triggering through Pusher's REST API, the
-- dashboard's pusher-js, restarting the relay). The two halves meet through:
--   signal(name, data)  prints one line "E2E> <name> <json>" on stdout for the C# test;
--   await(name)         keeps the Roblox code running (scheduler) until the C# test writes the
--                       file <E2E_DIR>/<name> (JSON), and returns its content.
-- Settings come from environment variables (RELAY_URL, E2E_DIR, ...; see the specs).
local json = require("dkjson")

local E2E = {}

function E2E.env(name, default)
	local value = os.getenv(name)
	if value == nil or value == "" then
		if default ~= nil then
			return default
		end
		error(
			"E2E: environment variable "
				.. name
				.. " is not set. These specs run from LuaEndToEndTests "
				.. '(dotnet test tests/Realtime.Relay.Tests --filter "FullyQualifiedName~LuaEndToEnd").',
			0
		)
	end
	return value
end

function E2E.signal(name, data)
	io.stdout:write("\nE2E> " .. name .. " " .. json.encode(data or {}) .. "\n")
	io.stdout:flush()
end

local function readFile(path)
	local file = io.open(path, "r")
	if not file then
		return nil
	end
	local text = file:read("*a")
	file:close()
	return text
end

-- Runs the scheduler until the C# test answers `name`; returns the decoded answer.
function E2E.await(scheduler, name, timeoutSeconds)
	local path = E2E.env("E2E_DIR") .. "/" .. name
	local text
	scheduler:runUntil(function()
		text = readFile(path)
		return text ~= nil
	end, timeoutSeconds or 90, "the test's answer to '" .. name .. "'")
	local value = json.decode(text)
	if type(value) == "table" and value.error then
		error("E2E: the test reported: " .. tostring(value.error), 0)
	end
	return value
end

-- One JSON request outside the Roblox code (the dashboard's part, e.g. approving a pairing).
-- Returns status, decoded body.
function E2E.request(httpService, method, url, body, bearer)
	local headers = { Accept = "application/json" }
	if bearer then
		headers.Authorization = "Bearer " .. bearer
	end
	local encoded
	if body ~= nil then
		encoded = httpService:JSONEncode(body)
		headers["Content-Type"] = "application/json"
	end
	local response = httpService:RequestAsync({ Url = url, Method = method, Headers = headers, Body = encoded })
	local decoded = nil
	if response.Body ~= "" then
		decoded = httpService:JSONDecode(response.Body)
	end
	return response.StatusCode, decoded
end

-- A list of values as one line, for assertion messages.
function E2E.show(value)
	return json.encode(value)
end

return E2E
