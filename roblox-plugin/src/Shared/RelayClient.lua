-- RelayClient: the ONE module that talks to the relay. It owns the base URL, the bearer token
-- (a string, or a Roblox Secret from HttpService:GetSecret), JSON in and out, the request
-- budget, and turns every failure into one error shape:
--   { kind, message, status?, code?, title?, detail?, errors?, retryable, retryAfter? }
-- kind: "http_disabled" | "http_denied" | "unreachable" | "timeout" | "rate_limited" | "bad_url"
--     | "network" | "problem" (the relay answered 4xx/5xx, RFC 9457 `code` kept) | "unauthorized"
--     | "bad_response" | "protocol_mismatch" | "not_a_relay"
-- Requests return `true, body, response` or `false, err`; they never raise. Anything with
-- HttpService's shape works (RequestAsync/JSONEncode/JSONDecode/UrlEncode), e.g. one over LuaSocket.
local Safe = require(script.Parent.Safe)

local unpack = table.unpack or unpack

local RelayClient = {}
RelayClient.__index = RelayClient

RelayClient.PROTOCOL_VERSION = 1

local UNREACHABLE = {
	ConnectFail = true,
	DnsResolve = true,
	SslConnectFail = true,
	NetFail = true,
	ConnectionRefused = true,
	ConnectionReset = true,
	HostUnreachable = true,
	SslVerificationFail = true,
}

local FATAL_KINDS = {
	http_disabled = true,
	http_denied = true,
	bad_url = true,
	unauthorized = true,
	protocol_mismatch = true,
	not_a_relay = true,
}

-- True for errors that retrying cannot fix: HTTP off or denied, a refused token, a protocol
-- mismatch, or a 403/404/410 from the relay (wrong inbox, ended session).
function RelayClient.isFatal(err)
	if type(err) ~= "table" then
		return false
	end
	if FATAL_KINDS[err.kind] then
		return true
	end
	return err.kind == "problem" and (err.status == 403 or err.status == 404 or err.status == 410)
end

function RelayClient.new(options)
	assert(type(options.baseUrl) == "string", "RelayClient needs baseUrl")
	assert(options.httpService, "RelayClient needs an HttpService")
	return setmetatable({
		baseUrl = string.gsub(options.baseUrl, "/+$", ""),
		protocolVersion = options.protocolVersion or RelayClient.PROTOCOL_VERSION,
		_http = options.httpService,
		_token = options.token,
		_budget = options.budget,
	}, RelayClient)
end

function RelayClient:setToken(token)
	self._token = token
end

function RelayClient:hasToken()
	return self._token ~= nil
end

-- The Authorization header value for a token; Secrets cannot be concatenated, only prefixed.
function RelayClient.bearer(token)
	if token == nil then
		return nil
	end
	if type(token) == "string" then
		return "Bearer " .. token
	end
	return token:AddPrefix("Bearer ")
end

function RelayClient:encode(text)
	return self._http:UrlEncode(tostring(text))
end

-- Builds a path from a pattern with %s placeholders, URL-encoding each argument.
function RelayClient:path(pattern, ...)
	local args = { ... }
	for i = 1, select("#", ...) do
		args[i] = self:encode(args[i])
	end
	return string.format(pattern, unpack(args))
end

function RelayClient:url(path, query)
	local url = self.baseUrl .. path
	if query then
		local keys = {}
		for key in pairs(query) do
			table.insert(keys, key)
		end
		table.sort(keys)
		local parts = {}
		for _, key in ipairs(keys) do
			table.insert(parts, self:encode(key) .. "=" .. self:encode(query[key]))
		end
		if #parts > 0 then
			url = url .. "?" .. table.concat(parts, "&")
		end
	end
	return url
end

local function header(headers, name)
	name = string.lower(name)
	for key, value in pairs(headers or {}) do
		if string.lower(key) == name then
			return value
		end
	end
	return nil
end

local function hostOf(url)
	return string.match(url, "^%a+://([^/]+)") or url
end

-- Turns an error raised by RequestAsync into the error shape, with a message a person can act on.
function RelayClient:classifyRaised(raised)
	local text = tostring(raised)
	local err = { raw = text, retryable = true }
	local httpError = string.match(text, "HttpError:%s*(%w+)")
	if string.find(text, "not enabled", 1, true) then
		err.kind = "http_disabled"
		err.retryable = false
		err.message = "HTTP requests are disabled. In Studio open Game Settings > Security and turn on "
			.. "'Allow HTTP Requests', then try again."
	elseif string.find(text, "not allowed", 1, true) or string.find(string.lower(text), "permission", 1, true) then
		err.kind = "http_denied"
		err.retryable = false
		err.message = "Studio has not allowed this plugin to reach "
			.. hostOf(self.baseUrl)
			.. ". Allow the domain in Plugins > Manage Plugins > Realtime Bridge, then try again."
	elseif string.find(text, "exceeded limit", 1, true) then
		err.kind = "rate_limited"
		err.retryAfter = 10
		err.message = "HttpService's limit of 500 requests a minute was reached; waiting before trying again."
	elseif httpError == "Timedout" then
		err.kind = "timeout"
		err.message = "The relay at " .. self.baseUrl .. " did not answer in time."
	elseif httpError == "InvalidUrl" then
		err.kind = "bad_url"
		err.retryable = false
		err.message = "The relay URL " .. self.baseUrl .. " is not a valid URL."
	elseif httpError and UNREACHABLE[httpError] then
		err.kind = "unreachable"
		err.message = "The relay at "
			.. self.baseUrl
			.. " cannot be reached ("
			.. httpError
			.. "). Check the URL and that the relay is running."
	else
		err.kind = "network"
		err.message = "Request to the relay at " .. self.baseUrl .. " failed: " .. text
	end
	return err
end

function RelayClient:_decode(text)
	if text == nil or text == "" then
		return true, nil
	end
	local ok, value = pcall(function()
		return self._http:JSONDecode(text)
	end)
	return ok, value
end

function RelayClient:_problem(response)
	local status = response.StatusCode
	local _, body = self:_decode(response.Body)
	if type(body) ~= "table" then
		body = {}
	end
	local err = {
		kind = "problem",
		status = status,
		code = body.code,
		title = body.title or response.StatusMessage,
		detail = body.detail,
		errors = body.errors,
		body = body,
		retryable = status == 408 or status == 429 or status >= 500,
	}
	local retryAfter = tonumber(header(response.Headers, "Retry-After"))
	if retryAfter then
		err.retryAfter = retryAfter
	end
	if status == 401 then
		err.kind = "unauthorized"
		err.code = err.code or "unauthorized"
		err.message = "The relay does not accept this token (revoked or expired). Pair again."
	else
		err.message = string.format(
			"The relay answered %d %s%s%s",
			status,
			tostring(err.code or err.title or ""),
			err.detail and ": " or "",
			err.detail or ""
		)
	end
	return err
end

-- options: query (table), body (table, sent as JSON), priority ("critical" may use the
-- budget's margin), token (overrides the client's token for this call, e.g. a server key).
function RelayClient:request(method, path, options)
	options = options or {}
	local headers = { Accept = "application/json" }
	local token = options.token
	if token == nil then
		token = self._token
	end
	if token ~= nil and options.anonymous ~= true then
		headers.Authorization = RelayClient.bearer(token)
	end
	local request = { Url = self:url(path, options.query), Method = method, Headers = headers }
	if options.body ~= nil then
		local encoded, body = pcall(function()
			return self._http:JSONEncode(options.body)
		end)
		if not encoded then
			return false,
				{
					kind = "bad_request",
					retryable = false,
					message = "Could not encode the request as JSON: " .. tostring(body),
				}
		end
		request.Body = body
		headers["Content-Type"] = "application/json"
	end
	if self._budget then
		self._budget:take(options.priority)
	end
	local ok, response = Safe.pcall(function()
		return self._http:RequestAsync(request)
	end)
	if not ok then
		return false, self:classifyRaised(response)
	end
	if not response.Success then
		return false, self:_problem(response)
	end
	local decoded, body = self:_decode(response.Body)
	if not decoded then
		return false,
			{
				kind = "bad_response",
				status = response.StatusCode,
				retryable = true,
				message = "The relay at " .. self.baseUrl .. " answered with something that is not JSON.",
			}
	end
	return true, body, response
end

function RelayClient:get(path, query, options)
	options = options or {}
	options.query = query
	return self:request("GET", path, options)
end

function RelayClient:post(path, body, options)
	options = options or {}
	options.body = body
	return self:request("POST", path, options)
end

function RelayClient:put(path, body, options)
	options = options or {}
	options.body = body
	return self:request("PUT", path, options)
end

function RelayClient:delete(path, options)
	return self:request("DELETE", path, options)
end

-- GET /api/v1/info and compare protocolVersion. `true, info` or `false, err` with a message
-- that says which side to update.
function RelayClient:checkProtocol()
	local ok, info = self:get("/api/v1/info", nil, { anonymous = true })
	if not ok then
		return false, info
	end
	if type(info) ~= "table" or type(info.protocolVersion) ~= "number" then
		return false,
			{
				kind = "not_a_relay",
				retryable = false,
				message = self.baseUrl .. " answered, but it is not a Realtime Bridge relay (no protocolVersion).",
			}
	end
	if info.protocolVersion ~= self.protocolVersion then
		local advice
		if info.protocolVersion > self.protocolVersion then
			advice = "Update the plugin: download it again from " .. self.baseUrl .. "/plugin/RealtimeBridge.rbxmx."
		else
			advice = "The relay is older than this plugin: update the relay."
		end
		return false,
			{
				kind = "protocol_mismatch",
				retryable = false,
				relayVersion = info.protocolVersion,
				message = string.format(
					"The relay speaks protocol version %d but this code speaks version %d. %s",
					info.protocolVersion,
					self.protocolVersion,
					advice
				),
			}
	end
	return true, info
end

return RelayClient
