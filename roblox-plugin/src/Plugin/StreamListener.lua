-- StreamListener: hears the inbox by Server-Sent Events through Studio's
-- HttpService:CreateWebStreamClient(Enum.WebStreamClientType.SSE, {Url, Method, Headers}) on
-- `GET P/stream` (resuming from the cursor: `?after=` and `Last-Event-ID`), and falls back to
-- the long-poll Poller when streams are unavailable (not Studio, the six-stream cap, HTTP
-- refused) or keep failing (`failuresBeforePolling` in a row without a successful open).
-- Messages are handled one at a time, in order, deduped by the same Cursor as the Poller.
-- States: idle, connecting, streaming, backoff, polling (the Poller's own state is separate),
-- stopped, failed.
local Shared = script.Parent.Parent.Shared
local RelayClient = require(Shared.RelayClient)
local Safe = require(Shared.Safe)

local StreamListener = {}
StreamListener.__index = StreamListener

function StreamListener.new(options)
	assert(options.httpService and options.client and options.path, "StreamListener needs httpService, client, path")
	assert(options.cursor and options.dispatcher and options.task and options.backoff, "StreamListener options missing")
	return setmetatable({
		_http = options.httpService,
		_client = options.client,
		_path = options.path,
		_token = options.token,
		_cursor = options.cursor,
		_dispatcher = options.dispatcher,
		_task = options.task,
		_backoff = options.backoff,
		_streamType = options.streamType,
		_createPoller = options.createPoller,
		_onState = options.onState,
		_warn = options.warn or warn or print,
		failuresBeforePolling = options.failuresBeforePolling or 3,
		state = "idle",
		lastError = nil,
		failures = 0,
		_stream = nil,
		_connections = {},
		_queue = {},
		_draining = false,
		_generation = 0,
		poller = nil,
	}, StreamListener)
end

function StreamListener:_set(state, err)
	self.state = state
	if err ~= nil then
		self.lastError = err
	elseif state == "streaming" then
		self.lastError = nil
	end
	if self._onState then
		self._onState(state, self)
	end
end

function StreamListener:start()
	if self.state ~= "idle" and self.state ~= "stopped" and self.state ~= "failed" then
		return false
	end
	self._generation = self._generation + 1
	self.failures = 0
	if type(self._http.CreateWebStreamClient) ~= "function" or self._streamType == nil then
		self:_fallBack("streams are not available here")
	else
		self:_connect(self._generation)
	end
	return true
end

function StreamListener:_disconnectSignals()
	for _, connection in ipairs(self._connections) do
		connection:Disconnect()
	end
	self._connections = {}
end

function StreamListener:_closeStream()
	self:_disconnectSignals()
	local stream = self._stream
	self._stream = nil
	if stream then
		pcall(function()
			stream:Close()
		end)
	end
end

function StreamListener:_connect(generation)
	if generation ~= self._generation then
		return
	end
	self:_set("connecting")
	local after = self._cursor:after()
	local headers = { Accept = "text/event-stream", ["Last-Event-ID"] = tostring(after) }
	if self._token ~= nil then
		headers.Authorization = RelayClient.bearer(self._token)
	end
	local ok, stream = pcall(function()
		return self._http:CreateWebStreamClient(self._streamType, {
			Url = self._client:url(self._path .. "/stream", { after = after }),
			Method = "GET",
			Headers = headers,
		})
	end)
	if not ok then
		local err = self._client:classifyRaised(stream)
		if RelayClient.isFatal(err) then
			self:_set("failed", err)
			return
		end
		self:_fallBack("Studio would not open a stream: " .. tostring(stream))
		return
	end
	self._stream = stream
	table.insert(
		self._connections,
		stream.Opened:Connect(function(statusCode)
			if generation ~= self._generation then
				return
			end
			if statusCode and (statusCode < 200 or statusCode > 299) then
				self:_dropped(generation, statusCode, "stream refused")
				return
			end
			self.failures = 0
			self._backoff:reset()
			self:_set("streaming")
		end)
	)
	table.insert(
		self._connections,
		stream.MessageReceived:Connect(function(message)
			if generation == self._generation then
				self:_enqueue(generation, message)
			end
		end)
	)
	table.insert(
		self._connections,
		stream.Error:Connect(function(statusCode, errorMessage)
			self:_dropped(generation, statusCode, errorMessage)
		end)
	)
	table.insert(
		self._connections,
		stream.Closed:Connect(function()
			self:_dropped(generation, nil, "stream closed")
		end)
	)
end

function StreamListener:_dropped(generation, statusCode, message)
	if generation ~= self._generation or self._stream == nil then
		return
	end
	self:_closeStream()
	local err = {
		kind = "stream",
		status = statusCode,
		retryable = true,
		message = "The event stream dropped: " .. tostring(message),
	}
	if statusCode == 401 or statusCode == 403 or statusCode == 404 then
		err.kind = statusCode == 401 and "unauthorized" or "problem"
		err.retryable = false
		self._generation = self._generation + 1
		self:_set("failed", err)
		return
	end
	self.failures = self.failures + 1
	if self.failures >= self.failuresBeforePolling then
		self:_fallBack("the stream failed " .. self.failures .. " times in a row")
		return
	end
	local delay = self._backoff:next()
	self:_set("backoff", err)
	self._task.delay(delay, function()
		self:_connect(generation)
	end)
end

-- SSE messages: Studio hands over the event's data (the envelope JSON); a raw frame
-- ("id: 7\nevent: x\ndata: {...}") is accepted too.
function StreamListener:decode(message)
	if type(message) ~= "string" then
		return nil
	end
	local text = message
	if not string.match(message, "^%s*{") then
		local lines = {}
		for line in string.gmatch(message, "[^\r\n]+") do
			local data = string.match(line, "^data: ?(.*)$")
			if data then
				table.insert(lines, data)
			end
		end
		if #lines == 0 then
			return nil -- a heartbeat comment or an empty frame
		end
		text = table.concat(lines, "\n")
	end
	local ok, envelope = pcall(function()
		return self._http:JSONDecode(text)
	end)
	if ok and type(envelope) == "table" and envelope.event ~= nil then
		return envelope
	end
	return nil
end

function StreamListener:_enqueue(generation, message)
	table.insert(self._queue, message)
	if self._draining then
		return
	end
	self._draining = true
	self._task.spawn(function()
		while #self._queue > 0 and generation == self._generation do
			local envelope = self:decode(table.remove(self._queue, 1))
			if envelope and envelope.seq == nil and envelope.event == "relay:gap" then
				-- The relay's notice that retention dropped events before this stream resumed:
				-- it has no seq (the cursor stays), handlers resync as after a long-poll `gap`.
				Safe.pcall(function()
					self._dispatcher:dispatch(envelope)
				end)
			elseif envelope and self._cursor:isNew(envelope.seq) then
				Safe.pcall(function()
					self._dispatcher:dispatch(envelope)
				end)
				self._cursor:advance(envelope.seq)
				if envelope.event == "relay:revoked" then
					self:stop()
					self:_set("failed", {
						kind = "unauthorized",
						code = "revoked",
						retryable = false,
						message = "This connection was revoked on the relay. Pair again.",
					})
				end
			end
		end
		self._queue = {}
		self._draining = false
	end)
end

function StreamListener:_fallBack(reason)
	self:_closeStream()
	if not self._createPoller then
		self:_set("failed", { kind = "stream", retryable = false, message = reason })
		return
	end
	self._warn("Realtime Bridge: using long-polling (" .. reason .. ")")
	self.poller = self._createPoller()
	self:_set("polling")
	self.poller:start()
end

function StreamListener:stop()
	self._generation = self._generation + 1
	self:_closeStream()
	if self.poller then
		self.poller:stop()
	end
	self:_set("stopped")
end

return StreamListener
