-- RequestBudget: keeps a server under HttpService's 500 requests a minute. A sliding window of
-- the last `window` seconds of request times; ordinary requests may use `limit - margin`
-- (the margin leaves room for the game's other HTTP use), "critical" ones (ending the session
-- in BindToClose) may use the margin too. `take()` waits for a free slot.
local RequestBudget = {}
RequestBudget.__index = RequestBudget

function RequestBudget.new(options)
	options = options or {}
	local self = setmetatable({
		limit = options.limit or 500,
		margin = options.margin or 100,
		window = options.window or 60,
		_clock = options.clock or os.clock,
		_task = options.task,
		_times = {},
	}, RequestBudget)
	assert(self.margin >= 0 and self.margin < self.limit, "RequestBudget margin must be in [0, limit)")
	return self
end

function RequestBudget.fromConfig(config, clock, taskLibrary)
	return RequestBudget.new({
		limit = config.requestsPerMinute,
		margin = config.requestMargin,
		clock = clock,
		task = taskLibrary,
	})
end

function RequestBudget:_prune(now)
	local times = self._times
	local keepFrom = 1
	while times[keepFrom] and now - times[keepFrom] >= self.window do
		keepFrom = keepFrom + 1
	end
	if keepFrom > 1 then
		local kept = {}
		for i = keepFrom, #times do
			table.insert(kept, times[i])
		end
		self._times = kept
	end
end

function RequestBudget:capacity(priority)
	if priority == "critical" then
		return self.limit
	end
	return self.limit - self.margin
end

-- Requests counted in the current window.
function RequestBudget:used()
	self:_prune(self._clock())
	return #self._times
end

-- Takes a slot if one is free: true, or false and the seconds until one frees up.
function RequestBudget:tryTake(priority)
	local now = self._clock()
	self:_prune(now)
	local capacity = self:capacity(priority)
	if #self._times < capacity then
		table.insert(self._times, now)
		return true, 0
	end
	local oldestThatMustExpire = self._times[#self._times - capacity + 1]
	return false, math.max(0, oldestThatMustExpire + self.window - now)
end

-- Waits (task.wait) until a slot is free, then takes it. Returns the seconds waited.
function RequestBudget:take(priority)
	local waited = 0
	while true do
		local ok, wait = self:tryTake(priority)
		if ok then
			return waited
		end
		assert(self._task, "RequestBudget:take needs the task library to wait")
		waited = waited + wait
		self._task.wait(math.max(wait, 0.05))
	end
end

return RequestBudget
