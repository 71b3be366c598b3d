-- FakeRelay: an inbox behind a FakeHttpService route, answering `GET P/events?after=&wait=&limit=`
-- the way DESIGN.md's "Relay HTTP API, version 1" says: events with seq > after at once,
-- otherwise hold up to `wait` seconds (on the fake scheduler) and answer an empty list;
-- `after` acknowledges (drops) older events; `next` is the cursor to send next time.
local FakeRelay = {}
FakeRelay.__index = FakeRelay

function FakeRelay.inbox(http, scheduler, path)
	local self = setmetatable({
		http = http,
		scheduler = scheduler,
		path = path,
		events = {},
		seq = 0,
		acknowledged = 0,
		gapOnce = false,
		polls = 0,
		fail = nil,
	}, FakeRelay)
	local pattern = "^" .. path:gsub("%-", "%%-") .. "/events$"
	http:route("GET", pattern, function(request)
		self.polls = self.polls + 1
		if self.fail then
			local failure = self.fail
			if type(failure) == "function" then
				failure = failure(request)
			end
			if failure then
				if type(failure) == "string" then
					error(failure, 0)
				end
				return failure
			end
		end
		local after = tonumber(request.Query.after) or 0
		local wait = math.min(tonumber(request.Query.wait) or 20, 25)
		local limit = tonumber(request.Query.limit) or 100
		self.acknowledged = math.max(self.acknowledged, after)
		local waited = 0
		while true do
			local batch = {}
			for _, event in ipairs(self.events) do
				if event.seq > after and #batch < limit then
					table.insert(batch, event)
				end
			end
			if #batch > 0 or waited >= wait then
				local gap = self.gapOnce
				self.gapOnce = false
				local nextCursor = after
				if #batch > 0 then
					nextCursor = batch[#batch].seq
				end
				return { StatusCode = 200, Body = { events = batch, next = nextCursor, gap = gap } }
			end
			scheduler.task.wait(1)
			waited = waited + 1
		end
	end)
	return self
end

function FakeRelay:push(event, data, channel)
	self.seq = self.seq + 1
	local envelope = {
		seq = self.seq,
		channel = channel or "private-plugin-p1",
		event = event,
		data = data,
		at = "2025-01-01T00:00:00Z",
	}
	table.insert(self.events, envelope)
	return envelope
end

return FakeRelay
