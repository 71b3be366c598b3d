-- FakeHttpService: the parts of Roblox's HttpService the Roblox side uses, faithful to the docs.
-- RequestAsync(options) checks Url/Method, returns {Success, StatusCode, StatusMessage, Headers,
-- Body} and raises the errors Roblox raises: "Http requests are not enabled. Enable via game
-- settings" when HTTP is off, "HttpError: ConnectFail" etc. when a route says so,
-- "HttpError: Timedout" when a handler holds longer than the timeout, and "Number of requests
-- exceeded limit" past 500 requests in a minute. JSONEncode/JSONDecode use dkjson, UrlEncode
-- percent-encodes, GetSecret returns an unprintable Secret usable in headers.
-- Routes: http:route("GET", "^/api/v1/info$", function(request) return {StatusCode=200, Body={...}} end)
-- A handler may wait on the fake scheduler (a long-poll hold) or raise an "HttpError: ..." string.
local HttpServiceCommon = require("support.HttpServiceCommon")
local json = require("dkjson")

local FakeHttpService = HttpServiceCommon.into({})
FakeHttpService.__index = FakeHttpService

local STATUS_TEXT = {
	[200] = "OK",
	[201] = "Created",
	[202] = "Accepted",
	[204] = "No Content",
	[400] = "Bad Request",
	[401] = "Unauthorized",
	[403] = "Forbidden",
	[404] = "Not Found",
	[413] = "Payload Too Large",
	[429] = "Too Many Requests",
	[500] = "Internal Server Error",
	[502] = "Bad Gateway",
	[503] = "Service Unavailable",
}

-- Secret: Roblox's unprintable datatype; only the fake "network" can read its content.
local Secret = {}
Secret.__index = Secret
Secret.__tostring = function()
	return "Secret"
end
function Secret:AddPrefix(prefix)
	return setmetatable({ _value = prefix .. self._value }, Secret)
end
function Secret:AddSuffix(suffix)
	return setmetatable({ _value = self._value .. suffix }, Secret)
end

function FakeHttpService.new(options)
	options = options or {}
	return setmetatable({
		HttpEnabled = options.enabled ~= false,
		scheduler = options.scheduler,
		timeoutSeconds = options.timeoutSeconds or 30,
		rateLimit = options.rateLimit or 500,
		routes = {},
		requests = {},
		secrets = options.secrets or {},
		sentTimes = {},
	}, FakeHttpService)
end

function FakeHttpService:route(method, pattern, handler)
	table.insert(self.routes, 1, { method = method, pattern = pattern, handler = handler })
end

local function now(self)
	return self.scheduler and self.scheduler.now or os.time()
end

local function revealHeaders(headers)
	local seen = {}
	for name, value in pairs(headers or {}) do
		if getmetatable(value) == Secret then
			seen[name] = value._value
		else
			seen[name] = value
		end
	end
	return seen
end

local function parseUrl(url)
	local path, query = url:match("^https?://[^/]+(/[^?]*)%??(.*)$")
	if not path then
		return nil
	end
	local params = {}
	for key, value in query:gmatch("([^&=]+)=?([^&]*)") do
		params[key] = value:gsub("%%(%x%x)", function(hex)
			return string.char(tonumber(hex, 16))
		end)
	end
	return path, params
end

function FakeHttpService:RequestAsync(options)
	local method = HttpServiceCommon.checkRequest(self, options)
	local path, query = parseUrl(options.Url)
	if not path then
		error("HttpError: InvalidUrl", 2)
	end
	local t = now(self)
	local recent = {}
	for _, sent in ipairs(self.sentTimes) do
		if t - sent < 60 then
			table.insert(recent, sent)
		end
	end
	self.sentTimes = recent
	if #recent >= self.rateLimit then
		error("Number of requests exceeded limit", 2)
	end
	table.insert(self.sentTimes, t)

	local request = {
		Url = options.Url,
		Method = method,
		Path = path,
		Query = query,
		Headers = revealHeaders(options.Headers),
		Body = options.Body,
		At = t,
	}
	if type(options.Body) == "string" and options.Body ~= "" then
		request.Json = json.decode(options.Body)
	end
	table.insert(self.requests, request)

	local handler
	for _, route in ipairs(self.routes) do
		if (route.method == method or route.method == "*") and path:match(route.pattern) then
			handler = route.handler
			break
		end
	end
	local response
	if handler then
		local started = now(self)
		response = handler(request)
		if self.scheduler and now(self) - started > self.timeoutSeconds then
			error("HttpError: Timedout", 2)
		end
	else
		response = { StatusCode = 404, Body = { type = "about:blank", title = "Not Found", status = 404 } }
	end
	response = response or { StatusCode = 204 }
	local headers = {}
	for name, value in pairs(response.Headers or {}) do
		headers[string.lower(name)] = value
	end
	local body = response.Body
	if type(body) == "table" then
		body = json.encode(body)
		if not headers["content-type"] then
			if (response.StatusCode or 200) >= 400 then
				headers["content-type"] = "application/problem+json"
			else
				headers["content-type"] = "application/json; charset=utf-8"
			end
		end
	end
	local status = response.StatusCode or 200
	return {
		Success = status >= 200 and status <= 299,
		StatusCode = status,
		StatusMessage = STATUS_TEXT[status] or "Unknown",
		Headers = headers,
		Body = body or "",
	}
end

function FakeHttpService:GenerateGUID(wrapInCurlyBraces)
	self.guidCount = (self.guidCount or 0) + 1
	local guid = string.format("00000000-0000-4000-8000-%012d", self.guidCount)
	if wrapInCurlyBraces == false then
		return guid
	end
	return "{" .. guid .. "}"
end

function FakeHttpService:GetSecret(key)
	local value = self.secrets[key]
	if value == nil then
		error("Can't find secret with given key", 2)
	end
	return setmetatable({ _value = value }, Secret)
end

-- The last request, or the last matching a method and path pattern.
function FakeHttpService:last(method, pattern)
	for i = #self.requests, 1, -1 do
		local request = self.requests[i]
		if (not method or request.Method == method) and (not pattern or request.Path:match(pattern)) then
			return request
		end
	end
	return nil
end

function FakeHttpService:count(method, pattern)
	local n = 0
	for _, request in ipairs(self.requests) do
		if (not method or request.Method == method) and (not pattern or request.Path:match(pattern)) then
			n = n + 1
		end
	end
	return n
end

FakeHttpService.Secret = Secret

return FakeHttpService
