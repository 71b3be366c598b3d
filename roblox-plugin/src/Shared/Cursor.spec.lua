local Loader = require("support.Loader")
local Cursor = Loader.load("Shared/Cursor")

describe("Cursor", function()
	it("starts at 0 or at a saved value", function()
		assert.are.equal(0, Cursor.new():after())
		assert.are.equal(41, Cursor.new({ after = 41 }):after())
		assert.are.equal(7, Cursor.new({ after = "7" }):after())
	end)

	it("only moves forward and reports each move", function()
		local saved = {}
		local cursor = Cursor.new({
			onChange = function(after)
				table.insert(saved, after)
			end,
		})
		assert.is_true(cursor:advance(3))
		assert.is_false(cursor:advance(2))
		assert.is_false(cursor:advance(3))
		assert.is_true(cursor:advance(9))
		assert.are.equal(9, cursor:after())
		assert.are.same({ 3, 9 }, saved)
	end)

	it("treats a seq at or below the cursor as already handled", function()
		local cursor = Cursor.new({ after = 10 })
		assert.is_false(cursor:isNew(9))
		assert.is_false(cursor:isNew(10))
		assert.is_true(cursor:isNew(11))
		assert.is_false(cursor:isNew(nil))
	end)

	it("filters a redelivered batch down to new events, each seq once, in order", function()
		local cursor = Cursor.new({ after = 5 })
		local fresh = cursor:filter({
			{ seq = 7, event = "b" },
			{ seq = 4, event = "old" },
			{ seq = 6, event = "a" },
			{ seq = 7, event = "b-again" },
			{ seq = 5, event = "handled" },
			{ event = "no-seq" },
		})
		assert.are.equal(2, #fresh)
		assert.are.equal("a", fresh[1].event)
		assert.are.equal("b", fresh[2].event)
	end)

	it("reset forgets everything and persists that", function()
		local last
		local cursor = Cursor.new({
			after = 50,
			onChange = function(after)
				last = after
			end,
		})
		cursor:reset()
		assert.are.equal(0, cursor:after())
		assert.are.equal(0, last)
	end)
end)
