-- FakeScheduler: Roblox's `task` library over coroutines with a clock the spec controls.
-- `scheduler.task` has wait/spawn/delay/defer/cancel like Roblox's: spawn runs the function at
-- once until it yields, wait(n) resumes after at least n seconds (at least one 1/60 s frame),
-- delay(n, f) runs f after n seconds, cancel(thread) stops a thread. Nothing runs until the spec
-- calls `scheduler:advance(seconds)`. `scheduler.clock()` is the fake time (for os.clock seams).
-- An error in a scheduled thread is recorded (Roblox prints it and carries on) and raised by
-- advance() unless the spec sets `scheduler.allowErrors = true`.
local TaskQueue = require("support.TaskQueue")

local unpack = table.unpack or unpack

local WAIT = TaskQueue.WAIT

local FakeScheduler = {}
FakeScheduler.__index = FakeScheduler

function FakeScheduler.new()
	local self = setmetatable({
		now = 0,
		errors = {},
		allowErrors = false,
	}, FakeScheduler)

	self.clock = function()
		return self.now
	end

	TaskQueue.install(self, function(seconds)
		if not coroutine.running() then
			error("task.wait called outside a thread (fake scheduler)", 2)
		end
		local started = self.now
		coroutine.yield(WAIT, seconds)
		return self.now - started
	end)
	return self
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
			TaskQueue.schedule(self, thread, seconds, {})
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
		local entry = TaskQueue.takeDue(self, target)
		if not entry then
			break
		end
		steps = steps + 1
		if steps > 100000 then
			error("fake scheduler: more than 100000 resumptions in one advance (a busy loop?)")
		end
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
