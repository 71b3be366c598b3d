-- RealScheduler: Roblox's `task` library over coroutines on the real clock, for end-to-end runs
-- (FakeScheduler is its fake-time twin for unit specs). `scheduler.task` has spawn (runs at once
-- until the first yield), defer, delay, wait and cancel like Roblox's; `scheduler.clock()` is
-- seconds since the scheduler was made. Threads run only while the spec drives the scheduler:
-- `runUntil(condition, timeoutSeconds, what)` resumes due threads, sleeping between them, until
-- condition() is true (it raises "timed out ... waiting for <what>" otherwise), and `runFor(s)`.
-- task.wait called outside any scheduler thread (the spec's own code, e.g. a BindToClose
-- handler run by the spec) drives the scheduler for that long instead of yielding, as a
-- blocking wait would. An error in a thread is recorded and raised (with its traceback) by the run.
local socket = require("socket")

local TaskQueue = require("support.TaskQueue")

local unpack = table.unpack or unpack

local FRAME = TaskQueue.FRAME
local WAIT = TaskQueue.WAIT

local RealScheduler = {}
RealScheduler.__index = RealScheduler

function RealScheduler.new()
	local started = socket.gettime()
	local self = setmetatable({
		errors = {},
		running = {}, -- stack of scheduler threads being resumed
	}, RealScheduler)

	self.clock = function()
		return socket.gettime() - started
	end

	TaskQueue.install(self, function(seconds)
		local from = self.clock()
		if self:inThread() then
			coroutine.yield(WAIT, seconds)
		else
			self:runFor(math.max(tonumber(seconds) or 0, FRAME))
		end
		return self.clock() - from
	end)
	return self
end

-- True while a scheduler thread runs (so yielding is allowed), false in the spec's own code.
function RealScheduler:inThread()
	return #self.running > 0
end

function RealScheduler:_resume(thread, ...)
	if self.cancelled[thread] or coroutine.status(thread) == "dead" then
		return
	end
	table.insert(self.running, thread)
	local ok, marker, seconds = coroutine.resume(thread, ...)
	table.remove(self.running)
	if not ok then
		local trace = debug.traceback(thread, tostring(marker))
		table.insert(self.errors, trace)
		return
	end
	if coroutine.status(thread) == "suspended" then
		if marker == WAIT then
			TaskQueue.schedule(self, thread, seconds, {})
		else
			table.insert(
				self.errors,
				"a thread yielded something the scheduler does not understand: " .. tostring(marker)
			)
		end
	end
end

function RealScheduler:_raiseErrors()
	if #self.errors > 0 then
		local first = self.errors[1]
		self.errors = {}
		error(first, 0)
	end
end

-- Resumes every thread that is due now, in time order. Returns the time of the next one.
function RealScheduler:step(condition)
	while true do
		local entry = TaskQueue.takeDue(self, self.clock())
		if not entry then
			break
		end
		self:_resume(entry.thread, unpack(entry.args))
		self:_raiseErrors()
		if condition and condition() then
			return nil
		end
	end
	return TaskQueue.soonest(self)
end

-- Runs threads until condition() holds; raises after timeoutSeconds. Returns the seconds taken.
function RealScheduler:runUntil(condition, timeoutSeconds, what)
	assert(not self:inThread(), "runUntil is for the spec's own code, not a scheduler thread")
	local from = self.clock()
	local deadline = from + (timeoutSeconds or 30)
	while true do
		if condition() then
			return self.clock() - from
		end
		local soonest = self:step(condition)
		if condition() then
			return self.clock() - from
		end
		local now = self.clock()
		if now >= deadline then
			error(string.format("timed out after %.1f s waiting for %s", now - from, what or "a condition"), 2)
		end
		local pause = 0.02
		if soonest then
			pause = math.min(pause, math.max(soonest - now, 0.001))
		end
		socket.sleep(pause)
	end
end

function RealScheduler:runFor(seconds)
	local target = self.clock() + seconds
	return self:runUntil(function()
		return self.clock() >= target
	end, seconds + 5, "time to pass")
end

function RealScheduler:pending()
	return #self.queue
end

return RealScheduler
