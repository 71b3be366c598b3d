local Loader = require("support.Loader")
local FakeScheduler = require("support.FakeScheduler")
local Safe = Loader.load("Shared/Safe")

describe("Safe.pcall", function()
	it("returns results and errors like pcall", function()
		assert.are.same({ true, 1, 2 }, { Safe.pcall(function(a)
			return a, 2
		end, 1) })
		local ok, err = Safe.pcall(function()
			error("boom", 0)
		end)
		assert.is_false(ok)
		assert.are.equal("boom", err)
	end)

	it("lets the protected function yield to the scheduler (Luau's pcall can, Lua 5.1's cannot)", function()
		local scheduler = FakeScheduler.new()
		local result
		scheduler.task.spawn(function()
			result = { Safe.pcall(function()
				scheduler.task.wait(5)
				return "after wait"
			end) }
		end)
		assert.is_nil(result)
		scheduler:advance(4)
		assert.is_nil(result)
		scheduler:advance(1)
		assert.are.same({ true, "after wait" }, result)
	end)

	it("catches an error raised after a yield", function()
		local scheduler = FakeScheduler.new()
		local result
		scheduler.task.spawn(function()
			result = { Safe.pcall(function()
				scheduler.task.wait(1)
				error("HttpError: Timedout", 0)
			end) }
		end)
		scheduler:advance(1)
		assert.are.same({ false, "HttpError: Timedout" }, result)
	end)
end)
