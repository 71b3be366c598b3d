-- FakeScheduler: Roblox's `task` library over coroutines with a clock the spec controls.
-- `scheduler.task` has wait/spawn/delay/defer/cancel like Roblox's: spawn runs the function at
-- once until it yields, wait(n) resumes after at least n seconds (at least one 1/60 s frame),
-- delay(n, f) runs f after n seconds, cancel(thread) stops a thread. Nothing runs until the spec
-- calls `scheduler:advance(seconds)`. `scheduler.clock()` is the fake time (for os.clock seams).
-- An error in a scheduled thread is recorded (Roblox prints it and carries on) and raised by
-- advance() unless the spec sets `scheduler.allowErrors = true`.
local unpack = table.unpack or unpack

local FRAME = 1 / 60
local WAIT = {}

local FakeScheduler = {}
FakeScheduler.__index = FakeScheduler

function FakeScheduler.new()
	local self = setmetatable({
		now = 0,
		queue = {},
		order = 0,
		errors = {},
		cancelled = setmetatable({}, { __mode = "k" }),
		allowErrors = false,
	}, FakeScheduler)

	self.clock = function()
		return self.now
	end

	self.task = {
		wait = function(seconds)
			if not coroutine.running() then
				error("task.wait called outside a thread (fake scheduler)", 2)
			end
			local started = self.now
			coroutine.yield(WAIT, seconds)
			return self.now - started
		end,
		spawn = function(fn, ...)
			local thread = coroutine.create(fn)
			self:_resume(thread, ...)
			return thread
		end,
		defer = function(fn, ...)
			local thread = coroutine.create(fn)
			self:_schedule(thread, 0, { ... })
			return thread
		end,
		delay = function(seconds, fn, ...)
			local thread = coroutine.create(fn)
			self:_schedule(thread, seconds or 0, { ... })
			return thread
		end,
		cancel = function(thread)
			self.cancelled[thread] = true
			for i = #self.queue, 1, -1 do
				if self.queue[i].thread == thread then
					table.remove(self.queue, i)
				end
			end
		end,
	}
	return self
end

function FakeScheduler:_schedule(thread, seconds, args)
	self.order = self.order + 1
	local delay = math.max(tonumber(seconds) or 0, FRAME)
	table.insert(self.queue, { at = self.now + delay, order = self.order, thread = thread, args = args or {} })
end

function FakeScheduler:_resume(thread, ...)
	if self.cancelled[thread] or coroutine.status(thread) == "dead" then
		return
	end
	local ok, marker, seconds = coroutine.resume(thread, ...)
	if not ok then
		table.insert(self.errors, debug.traceback(thread, tostring(marker)))
		if not coroutine.running() and not self.allowErrors then
			error(self.errors[#self.errors], 0)
		end
		return
	end
	if coroutine.status(thread) == "suspended" then
		if marker == WAIT then
			self:_schedule(thread, seconds, {})
		else
			error("a thread yielded something the fake scheduler does not understand: " .. tostring(marker))
		end
	end
end

-- Runs everything due within the next `seconds` of fake time, in time order.
function FakeScheduler:advance(seconds)
	local target = self.now + (seconds or 0)
	local steps = 0
	while true do
		local nextIndex
		for i, entry in ipairs(self.queue) do
			if entry.at <= target then
				local best = nextIndex and self.queue[nextIndex]
				if not best or entry.at < best.at or (entry.at == best.at and entry.order < best.order) then
					nextIndex = i
				end
			end
		end
		if not nextIndex then
			break
		end
		steps = steps + 1
		if steps > 100000 then
			error("fake scheduler: more than 100000 resumptions in one advance (a busy loop?)")
		end
		local entry = table.remove(self.queue, nextIndex)
		self.now = math.max(self.now, entry.at)
		self:_resume(entry.thread, unpack(entry.args))
	end
	self.now = target
	if #self.errors > 0 and not self.allowErrors then
		error(self.errors[1], 0)
	end
end

function FakeScheduler:pending()
	return #self.queue
end

return FakeScheduler
