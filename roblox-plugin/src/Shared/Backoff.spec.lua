local Loader = require("support.Loader")
local Backoff = Loader.load("Shared/Backoff")

describe("Backoff", function()
	it("grows exponentially up to the cap when there is no jitter", function()
		local backoff = Backoff.new({ base = 1, max = 10, factor = 2, jitter = 0 })
		local delays = {}
		for i = 1, 6 do
			delays[i] = backoff:next()
		end
		assert.are.same({ 1, 2, 4, 8, 10, 10 }, delays)
	end)

	it("draws each delay from [ceiling * (1 - jitter), ceiling] with the injected random", function()
		local draws = { 0, 1, 0.5 }
		local i = 0
		local backoff = Backoff.new({
			base = 2,
			max = 60,
			jitter = 0.5,
			random = function()
				i = i + 1
				return draws[i]
			end,
		})
		assert.are.equal(1, backoff:next()) -- ceiling 2, lowest draw
		assert.are.equal(4, backoff:next()) -- ceiling 4, highest draw
		assert.are.equal(6, backoff:next()) -- ceiling 8, middle draw
	end)

	it("never goes below a Retry-After hint", function()
		local backoff = Backoff.new({ base = 1, jitter = 0 })
		assert.are.equal(30, backoff:next(30))
		assert.are.equal(2, backoff:next(1))
	end)

	it("starts over after reset", function()
		local backoff = Backoff.new({ base = 1, jitter = 0 })
		backoff:next()
		backoff:next()
		backoff:next()
		backoff:reset()
		assert.are.equal(1, backoff:next())
	end)

	it("spreads clients apart: two random sources give different delays", function()
		local a = Backoff.new({
			random = function()
				return 0.1
			end,
		})
		local b = Backoff.new({
			random = function()
				return 0.9
			end,
		})
		assert.are_not.equal(a:next(), b:next())
	end)

	it("reads its bounds from Config", function()
		local Config = Loader.load("Shared/Config")
		local backoff = Backoff.fromConfig(Config.new({ backoffBaseSeconds = 3, backoffJitter = 0 }))
		assert.are.equal(3, backoff:next())
		for _ = 1, 20 do
			backoff:next()
		end
		assert.are.equal(60, backoff:next())
	end)

	it("rejects nonsense bounds", function()
		assert.has_error(function()
			Backoff.new({ base = 10, max = 5 })
		end)
		assert.has_error(function()
			Backoff.new({ jitter = 2 })
		end)
	end)
end)
