-- SocketHttpService: Roblox's HttpService over LuaSocket, for end-to-end runs against a live
-- relay (roblox-plugin/e2e). Same surface as FakeHttpService, real network:
--   RequestAsync({Url, Method?, Headers?, Body?, Timeout?}) -> {Success, StatusCode, StatusMessage,
--     Headers (lower-case names), Body}; a 4xx/5xx answer is a result with Success = false, not an
--     error. Raises what Roblox raises: "Http requests are not enabled. Enable via game settings"
--     when HttpEnabled is false, "HttpError: InvalidUrl", "HttpError: ConnectFail" (refused),
--     "HttpError: DnsResolve", "HttpError: Timedout" (no answer within Timeout, default 30 s),
--     "HttpError: NetFail" (connection dropped mid-answer).
--   JSONEncode/JSONDecode (dkjson), UrlEncode, GenerateGUID, GetSecret (Secrets given to new()).
-- LuaSocket blocks, but Roblox's RequestAsync yields the calling thread: so when a scheduler
-- thread calls it (options.scheduler:inThread()), it first yields one frame, letting the other
-- threads run between requests, then does the request. A long-poll therefore holds the whole
-- process for its `wait`; keep waits short in end-to-end runs.
local http = require("socket.http")
local ltn12 = require("ltn12")
local HttpServiceCommon = require("support.HttpServiceCommon")
local Secret = require("support.FakeHttpService").Secret

local SocketHttpService = HttpServiceCommon.into({})
SocketHttpService.__index = SocketHttpService

function SocketHttpService.new(options)
	options = options or {}
	return setmetatable({
		HttpEnabled = options.enabled ~= false,
		scheduler = options.scheduler,
		timeoutSeconds = options.timeoutSeconds or 30,
		secrets = options.secrets or {},
		log = options.log,
		history = {},
	}, SocketHttpService)
end

local function reveal(value)
	if getmetatable(value) == Secret then
		return value._value
	end
	return value
end

local function classify(message)
	message = tostring(message)
	if message == "timeout" or message:find("timed out", 1, true) then
		return "Timedout"
	elseif message:find("refused", 1, true) then
		return "ConnectFail"
	elseif message:find("host not found", 1, true) or message:find("not known", 1, true) then
		return "DnsResolve"
	end
	return "NetFail"
end

function SocketHttpService:RequestAsync(options)
	local method = HttpServiceCommon.checkRequest(self, options)
	if not options.Url:match("^https?://[^/]+") then
		error("HttpError: InvalidUrl", 2)
	end
	if (method == "GET" or method == "HEAD") and options.Body ~= nil then
		error("Body is not allowed for " .. method .. " requests", 2)
	end
	if self.scheduler and self.scheduler:inThread() then
		self.scheduler.task.wait() -- RequestAsync yields: others run before this request
	end

	local headers = {}
	for name, value in pairs(options.Headers or {}) do
		headers[name] = reveal(value)
	end
	local source
	if options.Body ~= nil then
		headers["Content-Length"] = tostring(#options.Body)
		source = ltn12.source.string(options.Body)
	end
	local chunks = {}
	local record = { method = method, url = options.Url, path = options.Url:match("^https?://[^/]+([^?]*)") }
	table.insert(self.history, record)
	local previousTimeout = http.TIMEOUT
	http.TIMEOUT = options.Timeout or self.timeoutSeconds
	local ok, one, code, responseHeaders, statusLine = pcall(http.request, {
		url = options.Url,
		method = method,
		headers = headers,
		source = source,
		sink = ltn12.sink.table(chunks),
		redirect = false,
	})
	http.TIMEOUT = previousTimeout
	if not ok then
		error("HttpError: NetFail (" .. tostring(one) .. ")", 2)
	end
	if one == nil or type(code) ~= "number" then
		local kind = classify(code)
		record.error = kind
		if self.log then
			self.log(string.format("%s %s -> HttpError: %s (%s)", method, options.Url, kind, tostring(code)))
		end
		error("HttpError: " .. kind, 2)
	end
	local lowered = {}
	for name, value in pairs(responseHeaders or {}) do
		lowered[string.lower(name)] = value
	end
	local message = statusLine and statusLine:match("^HTTP/%S+%s+%d+%s*(.-)%s*$") or ""
	record.status = code
	if self.log then
		self.log(string.format("%s %s -> %d", method, options.Url, code))
	end
	return {
		Success = code >= 200 and code <= 299,
		StatusCode = code,
		StatusMessage = message,
		Headers = lowered,
		Body = table.concat(chunks),
	}
end

function SocketHttpService:GenerateGUID(wrapInCurlyBraces)
	local function hex(n)
		local out = {}
		for i = 1, n do
			out[i] = string.format("%x", math.random(0, 15))
		end
		return table.concat(out)
	end
	local guid = string.upper(hex(8) .. "-" .. hex(4) .. "-4" .. hex(3) .. "-a" .. hex(3) .. "-" .. hex(12))
	if wrapInCurlyBraces == false then
		return guid
	end
	return "{" .. guid .. "}"
end

function SocketHttpService:GetSecret(key)
	local value = self.secrets[key]
	if value == nil then
		error("Can't find secret with given key", 2)
	end
	return setmetatable({ _value = value }, Secret)
end

-- Requests in `history` from index `from` on matching method, a path pattern and a predicate.
function SocketHttpService:count(method, pathPattern, predicate, from)
	local n = 0
	for i = from or 1, #self.history do
		local record = self.history[i]
		if
			(method == nil or record.method == method)
			and (pathPattern == nil or (record.path or ""):match(pathPattern))
			and (predicate == nil or predicate(record))
		then
			n = n + 1
		end
	end
	return n
end

return SocketHttpService
