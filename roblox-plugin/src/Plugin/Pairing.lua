-- Pairing: the device flow (RFC 8628) that gives this Studio plugin its relay token.
--   checking   -> GET /api/v1/info, protocolVersion must match
--   requesting -> POST /api/v1/pairings                 -> {deviceCode, userCode, verificationUri, expiresIn, interval}
--   waiting    -> every `interval` s POST /api/v1/pairings/token {deviceCode}
--                 authorization_pending: keep waiting; slow_down: interval + 5 s (RFC 8628 3.5);
--                 expired_token (or our own clock past expiresIn): back to requesting, a new code;
--                 access_denied: denied; 200 {accessToken, pluginId, channel}: paired
--   paired | denied | expired (gave up after maxCodes codes) | failed (cannot be retried) | cancelled
-- Network errors back off and retry. `onState(state, pairing)` drives the widget.
local Shared = script.Parent.Parent.Shared
local Backoff = require(Shared.Backoff)
local RelayClient = require(Shared.RelayClient)

local Pairing = {}
Pairing.__index = Pairing

Pairing.SLOW_DOWN_SECONDS = 5

-- "BCDFGHJK" -> "BCDF-GHJK" (the relay's 8-letter codes, shown in two halves).
function Pairing.formatUserCode(code)
	code = string.upper(string.gsub(tostring(code or ""), "[^%w]", ""))
	if #code == 8 then
		return string.sub(code, 1, 4) .. "-" .. string.sub(code, 5, 8)
	end
	return code
end

function Pairing.new(options)
	assert(options.client and options.task, "Pairing needs client and task")
	return setmetatable({
		_client = options.client,
		_task = options.task,
		_clock = options.clock or os.clock,
		_backoff = options.backoff or Backoff.new({ base = 2, max = 30 }),
		_onState = options.onState,
		request = options.request or {},
		maxCodes = options.maxCodes or 3,
		state = "idle",
		userCode = nil,
		verificationUri = nil,
		expiresAt = nil,
		interval = nil,
		result = nil,
		lastError = nil,
		codesIssued = 0,
		_generation = 0,
	}, Pairing)
end

function Pairing:_set(state, err)
	self.state = state
	self.lastError = err
	if self._onState then
		self._onState(state, self)
	end
end

function Pairing:isActive()
	return self.state == "checking" or self.state == "requesting" or self.state == "waiting"
end

-- Seconds left on the shown code, for the widget.
function Pairing:secondsLeft()
	if not self.expiresAt then
		return nil
	end
	return math.max(0, math.floor(self.expiresAt - self._clock()))
end

function Pairing:start()
	if self:isActive() then
		return false
	end
	self._generation = self._generation + 1
	local generation = self._generation
	self.codesIssued = 0
	self.result = nil
	self._task.spawn(function()
		self:_run(generation)
	end)
	return true
end

function Pairing:cancel()
	if self:isActive() then
		self._generation = self._generation + 1
		self:_set("cancelled")
	end
end

function Pairing:_current(generation)
	return self._generation == generation
end

-- Retries `attempt` while its error is retryable; returns ok, value (or false, err when fatal).
function Pairing:_withRetry(generation, state, attempt)
	while self:_current(generation) do
		local ok, value = attempt()
		if not self:_current(generation) then
			return false, nil
		end
		if ok then
			self._backoff:reset()
			return true, value
		end
		if RelayClient.isFatal(value) or value.retryable == false then
			return false, value
		end
		self:_set(state, value)
		self._task.wait(self._backoff:next(value.retryAfter))
	end
	return false, nil
end

function Pairing:_run(generation)
	self:_set("checking")
	local ok, err = self:_withRetry(generation, "checking", function()
		return self._client:checkProtocol()
	end)
	if not ok then
		if err and self:_current(generation) then
			self:_set("failed", err)
		end
		return
	end
	while self:_current(generation) do
		if self.codesIssued >= self.maxCodes then
			self.userCode = nil
			self.expiresAt = nil
			self:_set("expired")
			return
		end
		local outcome = self:_oneCode(generation)
		if outcome ~= "restart" then
			return
		end
	end
end

-- One device code, from request to an outcome: "restart" for a new code, else final.
function Pairing:_oneCode(generation)
	self:_set("requesting")
	local ok, grant = self:_withRetry(generation, "requesting", function()
		return self._client:post("/api/v1/pairings", self.request, { anonymous = true })
	end)
	if not ok then
		if grant and self:_current(generation) then
			self:_set("failed", grant)
		end
		return "final"
	end
	if type(grant) ~= "table" or type(grant.deviceCode) ~= "string" then
		self:_set("failed", { kind = "bad_response", message = "The relay's pairing answer had no device code." })
		return "final"
	end
	self.codesIssued = self.codesIssued + 1
	self.userCode = Pairing.formatUserCode(grant.userCode)
	self.verificationUri = grant.verificationUri
	self.interval = tonumber(grant.interval) or 5
	self.expiresAt = self._clock() + (tonumber(grant.expiresIn) or 600)
	self:_set("waiting")

	while self:_current(generation) do
		self._task.wait(self.interval)
		if not self:_current(generation) then
			return "final"
		end
		if self._clock() >= self.expiresAt then
			return "restart"
		end
		local polled, body = self._client:post(
			"/api/v1/pairings/token",
			{ deviceCode = grant.deviceCode },
			{ anonymous = true }
		)
		if not self:_current(generation) then
			return "final"
		end
		if polled then
			self.result = { accessToken = body.accessToken, pluginId = body.pluginId, channel = body.channel }
			self.userCode = nil
			self:_set("paired")
			return "final"
		end
		local code = body.code
		if code == "authorization_pending" then
			self._backoff:reset()
		elseif code == "slow_down" then
			self.interval = self.interval + Pairing.SLOW_DOWN_SECONDS
		elseif code == "expired_token" then
			return "restart"
		elseif code == "access_denied" then
			self.userCode = nil
			self:_set("denied", body)
			return "final"
		elseif body.retryable then
			-- Relay unreachable for a moment: keep the code, wait a little longer.
			self.lastError = body
			if self._onState then
				self._onState(self.state, self)
			end
			self._task.wait(self._backoff:next(body.retryAfter))
		else
			self:_set("failed", body)
			return "final"
		end
	end
	return "final"
end

return Pairing
