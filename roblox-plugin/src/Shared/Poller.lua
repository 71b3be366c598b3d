-- Poller: the long-poll loop over an inbox, `GET P/events?after=&wait=&limit=`. Each new event
-- (Cursor dedupe) goes to the Dispatcher, then the cursor moves past it, so an event is handled
-- once even though delivery is at-least-once. Errors back off with jitter; errors that retrying
-- cannot fix (HTTP disabled, token revoked, protocol mismatch, 403/404) stop it in "failed".
-- States: idle -> polling <-> backoff; stop() -> stopped; fatal error or relay:revoked -> failed.
-- A `gap: true` answer is dispatched as a local "relay:gap" event before the batch.
local RelayClient = require(script.Parent.RelayClient)

local Poller = {}
Poller.__index = Poller

-- Errors retrying cannot fix (HTTP disabled, token refused, protocol mismatch, 403/404/410).
Poller.isFatal = RelayClient.isFatal

function Poller.new(options)
	assert(options.client and options.path and options.cursor and options.dispatcher, "Poller options missing")
	assert(options.task and options.backoff, "Poller needs task and backoff")
	return setmetatable({
		_client = options.client,
		_path = options.path,
		_cursor = options.cursor,
		_dispatcher = options.dispatcher,
		_backoff = options.backoff,
		_task = options.task,
		_clock = options.clock or os.clock,
		_onState = options.onState,
		waitSeconds = options.waitSeconds or 20,
		limit = options.limit or 100,
		minIntervalSeconds = options.minIntervalSeconds or 1,
		state = "idle",
		lastError = nil,
		_generation = 0,
	}, Poller)
end

function Poller:_setState(state, detail)
	local changed = self.state ~= state
	self.state = state
	if state == "polling" then
		self.lastError = nil
	elseif detail and detail.error then
		self.lastError = detail.error
	end
	if self._onState and (changed or detail) then
		self._onState(state, detail)
	end
end

function Poller:isRunning()
	return self.state == "polling" or self.state == "backoff"
end

-- One request and its dispatch. `true, handledCount` or `false, err`.
function Poller:pollOnce(generation)
	generation = generation or self._generation
	local ok, body = self._client:get(self._path .. "/events", {
		after = self._cursor:after(),
		wait = self.waitSeconds,
		limit = self.limit,
	})
	if not ok then
		return false, body
	end
	if type(body) ~= "table" or type(body.events) ~= "table" then
		return false,
			{ kind = "bad_response", retryable = true, message = "The relay's events answer had no events list." }
	end
	if generation ~= self._generation then
		return true, 0
	end
	local handled = 0
	if body.gap == true then
		self._dispatcher:dispatch({ event = "relay:gap", channel = nil, data = { reason = "expired" } })
	end
	for _, envelope in ipairs(self._cursor:filter(body.events)) do
		if generation ~= self._generation then
			return true, handled
		end
		self._dispatcher:dispatch(envelope)
		self._cursor:advance(envelope.seq)
		handled = handled + 1
		if envelope.event == "relay:revoked" then
			return false,
				{
					kind = "unauthorized",
					code = "revoked",
					retryable = false,
					message = "This connection was revoked on the relay. Pair again.",
				}
		end
	end
	if body.next ~= nil then
		self._cursor:advance(body.next)
	end
	return true, handled
end

function Poller:_run(generation)
	while self._generation == generation do
		self:_setState("polling")
		local started = self._clock()
		local ok, result = self:pollOnce(generation)
		if self._generation ~= generation then
			break
		end
		if ok then
			self._backoff:reset()
			local elapsed = self._clock() - started
			if result == 0 and elapsed < self.minIntervalSeconds then
				-- The relay answered at once with nothing: do not spin.
				self._task.wait(self.minIntervalSeconds - elapsed)
			end
		elseif Poller.isFatal(result) then
			self._generation = self._generation + 1
			self:_setState("failed", { error = result })
			break
		else
			local delay = self._backoff:next(result and result.retryAfter)
			self:_setState("backoff", { error = result, delay = delay })
			self._task.wait(delay)
		end
	end
end

function Poller:start()
	if self:isRunning() then
		return false
	end
	self._generation = self._generation + 1
	local generation = self._generation
	self._task.spawn(function()
		self:_run(generation)
	end)
	return true
end

-- Stops the loop. A request in flight is left to finish; its events are not dispatched and
-- the cursor does not move, so they come again next time.
function Poller:stop()
	self._generation = self._generation + 1
	self:_setState("stopped")
end

return Poller
