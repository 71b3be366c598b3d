-- SyncPublisher: publishes this Studio session's state on `roblox-sync` through the relay,
-- `POST P/trigger {events:[{channel, event, data, id}]}` (1-10 events a call). State events
-- (place, selection, Team Create roster) coalesce by name within `syncThrottleSeconds`, so a
-- burst of selection changes becomes one event with the latest selection. Each event carries
-- an `id` so the relay can drop a retried duplicate.
local Shared = script.Parent.Parent.Shared
local Batcher = require(Shared.Batcher)
local Backoff = require(Shared.Backoff)

local SyncPublisher = {}
SyncPublisher.__index = SyncPublisher

SyncPublisher.CHANNEL = "roblox-sync"

function SyncPublisher.new(options)
	assert(options.client and options.path and options.task, "SyncPublisher needs client, path, task")
	local self = setmetatable({
		_client = options.client,
		_path = options.path,
		_idPrefix = options.idPrefix or "studio",
		_counter = 0,
		published = 0,
	}, SyncPublisher)
	self._batcher = Batcher.new({
		task = options.task,
		maxItems = options.batchSize or 10,
		maxDelay = options.throttleSeconds or 2,
		warn = options.warn,
		backoff = options.backoff or Backoff.new({ base = 2, max = 60 }),
		keyOf = function(item)
			return item.key
		end,
		send = function(items)
			return self:_send(items)
		end,
	})
	return self
end

function SyncPublisher:_send(items)
	local events = {}
	for i, item in ipairs(items) do
		events[i] = { channel = item.channel, event = item.event, data = item.data, id = item.id }
	end
	local ok, err = self._client:post(self._path .. "/trigger", { events = events })
	if ok then
		self.published = self.published + #events
		return true
	end
	return false, err
end

function SyncPublisher:_nextId()
	self._counter = self._counter + 1
	return string.format("%s-%d", self._idPrefix, self._counter)
end

-- Queues one event. Events with the same `coalesceKey` replace each other until sent.
function SyncPublisher:publish(event, data, coalesceKey)
	return self._batcher:add({
		channel = SyncPublisher.CHANNEL,
		event = event,
		data = data,
		id = self:_nextId(),
		key = coalesceKey,
	})
end

function SyncPublisher:placeChanged(info)
	return self:publish("place-changed", info, "place")
end

-- `selection`: a list of instance paths (strings), e.g. {"Workspace.Model.Part"}.
function SyncPublisher:selectionChanged(selection)
	return self:publish("selection-changed", { selection = selection, count = #selection }, "selection")
end

-- `users`: {{userId, name}} of the Team Create collaborators present.
function SyncPublisher:rosterChanged(users)
	return self:publish("team-create-roster", { users = users }, "roster")
end

function SyncPublisher:flush()
	return self._batcher:flush()
end

function SyncPublisher:stop()
	self._batcher:stop()
end

function SyncPublisher:pending()
	return self._batcher:size()
end

return SyncPublisher
