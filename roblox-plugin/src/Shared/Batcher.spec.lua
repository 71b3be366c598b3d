local Loader = require("support.Loader")
local FakeScheduler = require("support.FakeScheduler")
local Batcher = Loader.load("Shared/Batcher")
local Backoff = Loader.load("Shared/Backoff")

describe("Batcher", function()
	local scheduler, sent, results

	local function newBatcher(options)
		options = options or {}
		options.task = scheduler.task
		options.send = options.send
			or function(items)
				table.insert(sent, items)
				local result = table.remove(results, 1)
				if result == nil then
					return true
				end
				return result[1], result[2]
			end
		options.backoff = options.backoff or Backoff.new({ base = 1, max = 8, jitter = 0 })
		options.warn = function() end
		return Batcher.new(options)
	end

	before_each(function()
		scheduler = FakeScheduler.new()
		sent = {}
		results = {}
	end)

	it("sends what it collected once maxDelay has passed since the first item", function()
		local batcher = newBatcher({ maxItems = 10, maxDelay = 2 })
		batcher:add("a")
		scheduler:advance(1)
		batcher:add("b")
		scheduler:advance(0.9)
		assert.are.equal(0, #sent)
		scheduler:advance(0.2)
		assert.are.same({ { "a", "b" } }, sent)
		assert.are.equal(0, batcher:size())
	end)

	it("sends at once when a batch is full, never more than maxItems per send", function()
		local batcher = newBatcher({ maxItems = 3, maxDelay = 60 })
		for i = 1, 7 do
			batcher:add(i)
		end
		assert.are.same({ { 1, 2, 3 }, { 4, 5, 6 } }, sent)
		scheduler:advance(60)
		assert.are.same({ { 1, 2, 3 }, { 4, 5, 6 }, { 7 } }, sent)
	end)

	it("coalesces items with the same key, keeping the newest in the first one's place", function()
		local batcher = newBatcher({
			maxDelay = 1,
			keyOf = function(item)
				return item.kind
			end,
		})
		batcher:add({ kind = "selection", value = 1 })
		batcher:add({ kind = "place", value = "p" })
		batcher:add({ kind = "selection", value = 2 })
		batcher:add({ kind = "selection", value = 3 })
		scheduler:advance(1)
		assert.are.equal(1, #sent)
		assert.are.same({ { kind = "selection", value = 3 }, { kind = "place", value = "p" } }, sent[1])
	end)

	it("puts a failed batch back and retries it after backoff", function()
		results = { { false, { kind = "unreachable", retryable = true } } }
		local batcher = newBatcher({ maxDelay = 1 })
		batcher:add("a")
		scheduler:advance(1)
		assert.are.equal(1, #sent)
		assert.are.equal(1, batcher:size())
		batcher:add("b")
		scheduler:advance(0.5)
		assert.are.equal(1, #sent)
		scheduler:advance(0.5) -- first backoff step: 1 s
		assert.are.same({ { "a" }, { "a", "b" } }, sent)
		assert.are.equal(0, batcher:size())
	end)

	it("drops a batch the relay refused for good", function()
		results = { { false, { kind = "problem", status = 400, retryable = false, message = "bad" } } }
		local batcher = newBatcher({ maxDelay = 1 })
		batcher:add("a")
		scheduler:advance(1)
		scheduler:advance(60)
		assert.are.equal(1, #sent)
		assert.are.equal(1, batcher.dropped)
		assert.are.equal(0, batcher:size())
	end)

	it("treats a send that raises as a retryable failure", function()
		local calls = 0
		local batcher = newBatcher({
			maxDelay = 1,
			send = function()
				calls = calls + 1
				if calls == 1 then
					error("unexpected")
				end
				return true
			end,
		})
		batcher:add("a")
		scheduler:advance(1)
		assert.are.equal(1, batcher:size())
		scheduler:advance(1)
		assert.are.equal(0, batcher:size())
		assert.are.equal(2, calls)
	end)

	it("flush() sends everything now and reports whether the queue emptied", function()
		local batcher = newBatcher({ maxItems = 2, maxDelay = 60 })
		batcher:add("a")
		local ok
		scheduler.task.spawn(function()
			ok = batcher:flush()
		end)
		assert.is_true(ok)
		assert.are.same({ { "a" } }, sent)
		scheduler:advance(60)
		assert.are.equal(1, #sent)
	end)

	it("drops the oldest item when the queue is over its bound", function()
		results = {
			{ false, { retryable = true } },
			{ false, { retryable = true } },
			{ false, { retryable = true } },
		}
		local batcher = newBatcher({ maxItems = 10, maxDelay = 1, maxQueue = 3 })
		for i = 1, 4 do
			batcher:add(i)
		end
		assert.are.equal(3, batcher:size())
		assert.are.equal(1, batcher.dropped)
	end)

	it("accepts nothing after stop", function()
		local batcher = newBatcher({ maxDelay = 1 })
		batcher:add("a")
		batcher:stop()
		assert.is_false(batcher:add("b"))
		scheduler:advance(5)
		assert.are.equal(0, #sent)
	end)
end)
