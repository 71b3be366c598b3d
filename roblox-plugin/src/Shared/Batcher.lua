-- Batcher: collects items and sends them in batches of at most `maxItems`, when a batch is
-- full or `maxDelay` seconds after the first item waited, whichever comes first. Items with
-- the same `keyOf(item)` coalesce (the newer replaces the queued one: throttling for state
-- such as "current selection"). A failed send puts the batch back and retries after backoff,
-- unless the error says `retryable == false`. One send at a time; `flush()` drains now.
local Safe = require(script.Parent.Safe)
local Backoff = require(script.Parent.Backoff)

local Batcher = {}
Batcher.__index = Batcher

function Batcher.new(options)
	assert(type(options.send) == "function", "Batcher needs send(items)")
	assert(options.task, "Batcher needs the task library")
	return setmetatable({
		_task = options.task,
		_send = options.send,
		_keyOf = options.keyOf,
		_warn = options.warn or warn or print,
		maxItems = options.maxItems or 10,
		maxDelay = options.maxDelay or 1,
		maxQueue = options.maxQueue or 1000,
		_backoff = options.backoff or Backoff.new({ base = 1, max = 30 }),
		_queue = {},
		_timer = nil,
		_sending = false,
		_stopped = false,
		sentBatches = 0,
		dropped = 0,
	}, Batcher)
end

function Batcher:size()
	return #self._queue
end

local function keyOf(self, item)
	if self._keyOf then
		return self._keyOf(item)
	end
	return nil
end

function Batcher:_schedule(delay)
	if self._timer or self._stopped then
		return
	end
	self._timer = self._task.delay(delay, function()
		self._timer = nil
		self:_drain()
	end)
end

function Batcher:_cancelTimer()
	if self._timer then
		self._task.cancel(self._timer)
		self._timer = nil
	end
end

function Batcher:add(item)
	if self._stopped then
		return false
	end
	local key = keyOf(self, item)
	if key ~= nil then
		for i, queued in ipairs(self._queue) do
			if keyOf(self, queued) == key then
				self._queue[i] = item
				return true
			end
		end
	end
	table.insert(self._queue, item)
	if #self._queue > self.maxQueue then
		table.remove(self._queue, 1)
		self.dropped = self.dropped + 1
		self._warn("Realtime Bridge: send queue full, dropped the oldest item")
	end
	if #self._queue >= self.maxItems and not self._sending then
		self:_cancelTimer()
		self._task.spawn(function()
			self:_drain()
		end)
	else
		self:_schedule(self.maxDelay)
	end
	return true
end

-- Sends queued items batch by batch until the queue is empty or a send fails.
function Batcher:_drain()
	if self._sending then
		return false
	end
	self._sending = true
	self:_cancelTimer()
	local ok = true
	while #self._queue > 0 do
		local batch = {}
		while #batch < self.maxItems and #self._queue > 0 do
			table.insert(batch, table.remove(self._queue, 1))
		end
		local called, sent, err = Safe.pcall(self._send, batch)
		if called and sent then
			self.sentBatches = self.sentBatches + 1
			self._backoff:reset()
		else
			ok = false
			local problem = called and err or sent
			if type(problem) == "table" and problem.retryable == false then
				self.dropped = self.dropped + #batch
				self._warn("Realtime Bridge: dropped a batch the relay refused: " .. tostring(problem.message))
			else
				-- Put the batch back in front, minus items a newer one has replaced meanwhile.
				for i = #batch, 1, -1 do
					local key = keyOf(self, batch[i])
					local replaced = false
					if key ~= nil then
						for _, queued in ipairs(self._queue) do
							if keyOf(self, queued) == key then
								replaced = true
								break
							end
						end
					end
					if not replaced then
						table.insert(self._queue, 1, batch[i])
					end
				end
				self._sending = false
				self:_schedule(self._backoff:next())
				return false
			end
		end
	end
	self._sending = false
	return ok
end

-- Sends everything now, in the calling thread. True when the queue ended empty.
function Batcher:flush()
	if self._sending then
		return false
	end
	self:_drain()
	return #self._queue == 0
end

function Batcher:stop()
	self._stopped = true
	self:_cancelTimer()
end

return Batcher
