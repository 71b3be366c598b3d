-- Safe: a pcall that may yield. Luau's pcall lets the protected function yield (RequestAsync,
-- task.wait); Lua 5.1's does not ("attempt to yield across metamethod/C-call boundary"), so
-- under Lua 5.1 the function runs in its own coroutine and every yield is passed up to the
-- caller's thread and the answer passed back down. Same results as pcall in both.
local unpack = table.unpack or unpack

local Safe = {}

local function pack(...)
	return { n = select("#", ...), ... }
end

if _VERSION == "Luau" then
	Safe.pcall = pcall
else
	function Safe.pcall(fn, ...)
		local thread = coroutine.create(fn)
		local results = pack(coroutine.resume(thread, ...))
		while true do
			if not results[1] then
				return false, results[2]
			end
			if coroutine.status(thread) == "dead" then
				return true, unpack(results, 2, results.n)
			end
			results = pack(coroutine.resume(thread, coroutine.yield(unpack(results, 2, results.n))))
		end
	end
end

return Safe
