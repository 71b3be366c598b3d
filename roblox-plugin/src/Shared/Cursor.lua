-- Cursor: the `after` value of the inbox (the highest seq handled) and the dedupe that makes
-- at-least-once delivery run each handler once: a seq at or below the cursor was handled already.
-- `onChange(after)` persists it (plugin settings), so a restart resumes without repeats.
local Cursor = {}
Cursor.__index = Cursor

function Cursor.new(options)
	options = options or {}
	local initial = tonumber(options.after) or 0
	return setmetatable({ _after = math.max(0, initial), _onChange = options.onChange }, Cursor)
end

function Cursor:after()
	return self._after
end

-- True when `seq` is new: not yet handled.
function Cursor:isNew(seq)
	seq = tonumber(seq)
	return seq ~= nil and seq > self._after
end

-- Records that everything up to `seq` is handled. Never moves backwards.
function Cursor:advance(seq)
	seq = tonumber(seq)
	if seq == nil or seq <= self._after then
		return false
	end
	self._after = seq
	if self._onChange then
		self._onChange(seq)
	end
	return true
end

-- Forgets everything (a new token, a new inbox).
function Cursor:reset(after)
	self._after = math.max(0, tonumber(after) or 0)
	if self._onChange then
		self._onChange(self._after)
	end
end

-- The events of a batch still to handle, in seq order, each seq once.
function Cursor:filter(events)
	local fresh = {}
	local seen = {}
	for _, event in ipairs(events or {}) do
		local seq = tonumber(event.seq)
		if seq and seq > self._after and not seen[seq] then
			seen[seq] = true
			table.insert(fresh, event)
		end
	end
	table.sort(fresh, function(a, b)
		return tonumber(a.seq) < tonumber(b.seq)
	end)
	return fresh
end

return Cursor
