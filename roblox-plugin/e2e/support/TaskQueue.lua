-- TaskQueue: what the two `task` stand-ins share (FakeScheduler on fake time for unit specs,
-- RealScheduler on the real clock for end-to-end runs): the queue of threads waiting to be
-- resumed, Roblox's task.spawn/defer/delay/cancel over it, and picking the next thread due.
-- A scheduler provides clock() and _resume(thread, ...) and its own task.wait.
local TaskQueue = {}

-- Roblox resumes a waiting thread no sooner than the next frame.
TaskQueue.FRAME = 1 / 60
-- What task.wait yields to its scheduler, with the seconds to wait.
TaskQueue.WAIT = {}

function TaskQueue.install(scheduler, wait)
	scheduler.queue = {}
	scheduler.order = 0
	scheduler.cancelled = setmetatable({}, { __mode = "k" })
	scheduler.task = {
		wait = wait,
		spawn = function(fn, ...)
			local thread = coroutine.create(fn)
			scheduler:_resume(thread, ...)
			return thread
		end,
		defer = function(fn, ...)
			local thread = coroutine.create(fn)
			TaskQueue.schedule(scheduler, thread, 0, { ... })
			return thread
		end,
		delay = function(seconds, fn, ...)
			local thread = coroutine.create(fn)
			TaskQueue.schedule(scheduler, thread, seconds or 0, { ... })
			return thread
		end,
		cancel = function(thread)
			scheduler.cancelled[thread] = true
			for i = #scheduler.queue, 1, -1 do
				if scheduler.queue[i].thread == thread then
					table.remove(scheduler.queue, i)
				end
			end
		end,
	}
end

function TaskQueue.schedule(scheduler, thread, seconds, args)
	scheduler.order = scheduler.order + 1
	local delay = math.max(tonumber(seconds) or 0, TaskQueue.FRAME)
	table.insert(
		scheduler.queue,
		{ at = scheduler.clock() + delay, order = scheduler.order, thread = thread, args = args or {} }
	)
end

-- Removes and returns the earliest entry due at or before `time` (ties: first scheduled), or nil.
function TaskQueue.takeDue(scheduler, time)
	local nextIndex
	for i, entry in ipairs(scheduler.queue) do
		if entry.at <= time then
			local best = nextIndex and scheduler.queue[nextIndex]
			if not best or entry.at < best.at or (entry.at == best.at and entry.order < best.order) then
				nextIndex = i
			end
		end
	end
	return nextIndex and table.remove(scheduler.queue, nextIndex)
end

-- When the next queued thread is due, or nil when none is queued.
function TaskQueue.soonest(scheduler)
	local soonest
	for _, entry in ipairs(scheduler.queue) do
		if not soonest or entry.at < soonest then
			soonest = entry.at
		end
	end
	return soonest
end

return TaskQueue
