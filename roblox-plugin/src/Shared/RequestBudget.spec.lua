local Loader = require("support.Loader")
local FakeScheduler = require("support.FakeScheduler")
local RequestBudget = Loader.load("Shared/RequestBudget")

describe("RequestBudget", function()
	local scheduler
	before_each(function()
		scheduler = FakeScheduler.new()
	end)

	local function budget(limit, margin)
		return RequestBudget.new({ limit = limit, margin = margin, clock = scheduler.clock, task = scheduler.task })
	end

	it("allows limit - margin ordinary requests in a window, then says how long to wait", function()
		local b = budget(10, 2)
		for _ = 1, 8 do
			assert.is_true((b:tryTake()))
		end
		local ok, wait = b:tryTake()
		assert.is_false(ok)
		assert.are.equal(60, wait)
		assert.are.equal(8, b:used())
	end)

	it("is a sliding window: a slot frees exactly when its request is a window old", function()
		local b = budget(3, 0)
		b:tryTake()
		scheduler:advance(10)
		b:tryTake()
		b:tryTake()
		scheduler:advance(49.5)
		local ok, wait = b:tryTake()
		assert.is_false(ok)
		assert.are.equal(0.5, wait)
		scheduler:advance(0.5)
		assert.is_true((b:tryTake()))
		assert.is_false((b:tryTake()))
	end)

	it("lets critical requests use the margin", function()
		local b = budget(5, 2)
		for _ = 1, 3 do
			b:tryTake()
		end
		assert.is_false((b:tryTake()))
		assert.is_true((b:tryTake("critical")))
		assert.is_true((b:tryTake("critical")))
		assert.is_false((b:tryTake("critical")))
	end)

	it("take() waits until a slot is free", function()
		local b = budget(2, 0)
		local times = {}
		scheduler.task.spawn(function()
			for _ = 1, 5 do
				b:take()
				table.insert(times, scheduler.now)
			end
		end)
		scheduler:advance(200)
		assert.are.same({ 0, 0, 60, 60, 120 }, times)
	end)

	it("keeps a busy client under HttpService's 500 a minute whatever it asks for", function()
		local b = RequestBudget.new({ clock = scheduler.clock, task = scheduler.task })
		local times = {}
		scheduler.task.spawn(function()
			while scheduler.now < 300 do
				b:take()
				table.insert(times, scheduler.now)
				scheduler.task.wait(0.01)
			end
		end)
		scheduler:advance(300)
		-- In every 60 s window: at most 400 (500 minus the default margin of 100).
		local worst = 0
		local first = 1
		for last = 1, #times do
			while times[last] - times[first] >= 60 do
				first = first + 1
			end
			worst = math.max(worst, last - first + 1)
		end
		assert.are.equal(400, worst)
	end)
end)
