-- ContentProgress: follows content-generation jobs for the widget. The platform publishes
-- `progress` (and `error`) on `content-generation-<id>` with data like
-- {status, progress (0-100), content_id, message}; this keeps one entry per job and calls
-- `onChange(jobs)` with the list, newest first.
local ContentProgress = {}
ContentProgress.__index = ContentProgress

ContentProgress.EVENTS = { "progress", "error", "content-progress" }

function ContentProgress.new(options)
	options = options or {}
	return setmetatable({
		_onChange = options.onChange,
		_clock = options.clock or os.clock,
		jobs = {},
		_order = 0,
	}, ContentProgress)
end

local function jobIdOf(data, envelope)
	local channel = envelope and envelope.channel or ""
	local fromChannel = string.match(channel, "^content%-generation%-(.+)$")
	return data.session_id or data.sessionId or fromChannel or data.content_id or data.contentId
end

-- True when this event is about content generation (and so is ours to handle).
function ContentProgress.isContentEvent(envelope)
	if envelope.event == "content-progress" then
		return true
	end
	return string.match(envelope.channel or "", "^content%-generation%-") ~= nil
end

function ContentProgress:handle(data, envelope)
	if not ContentProgress.isContentEvent(envelope) then
		return nil
	end
	if type(data) ~= "table" then
		data = { message = tostring(data) }
	end
	local id = jobIdOf(data, envelope)
	if id == nil then
		return nil
	end
	id = tostring(id)
	local job = self.jobs[id]
	if not job then
		self._order = self._order + 1
		job = { id = id, percent = 0, status = "running", order = self._order }
		self.jobs[id] = job
	end
	local percent = tonumber(data.progress or data.percent)
	if percent then
		job.percent = math.max(job.percent, math.min(100, math.max(0, percent)))
	end
	if envelope.event == "error" or data.status == "error" or data.status == "failed" then
		job.status = "failed"
		job.message = data.message or data.error or data.detail or "Generation failed"
	else
		job.status = data.status or (job.percent >= 100 and "complete" or "running")
		job.message = data.message or job.message
	end
	if job.percent >= 100 and job.status == "running" then
		job.status = "complete"
	end
	job.contentId = data.content_id or data.contentId or job.contentId
	job.updatedAt = self._clock()
	if self._onChange then
		self._onChange(self:list())
	end
	return job
end

function ContentProgress:list()
	local list = {}
	for _, job in pairs(self.jobs) do
		table.insert(list, job)
	end
	table.sort(list, function(a, b)
		return a.order > b.order
	end)
	return list
end

-- Forgets finished jobs older than `seconds`.
function ContentProgress:prune(seconds)
	local now = self._clock()
	for id, job in pairs(self.jobs) do
		if job.status ~= "running" and now - (job.updatedAt or now) > seconds then
			self.jobs[id] = nil
		end
	end
end

function ContentProgress:register(dispatcher)
	for _, name in ipairs(ContentProgress.EVENTS) do
		dispatcher:on(name, function(data, envelope)
			self:handle(data, envelope)
		end)
	end
end

return ContentProgress
