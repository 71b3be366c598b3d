-- Bridge: the game-server module (a ModuleScript for ServerScriptService). Game code writes:
--   local Bridge = require(game.ServerScriptService.RealtimeBridge)
--   Bridge.start({ gameId = "my-game", baseUrl = "https://relay.example.org" })
--   Bridge.on("start-round", function(data) ... end)
--   Bridge.trigger("presence-game-my-game", "round-over", { winner = 1 })
-- It registers this server with the relay (POST /api/v1/games/{gameId}/servers, Bearer server
-- key -> {accessToken, serverId}), reports the roster on PlayerAdded/PlayerRemoving (batched,
-- PUT P/players, re-sent before the relay's 45 s presence timeout and at once when the relay is
-- reachable again after an outage), long-polls its inbox and
-- hands events to Bridge.on handlers, publishes Bridge.trigger events in batches of up to 10
-- (POST P/trigger), keeps every request inside one RequestBudget (500/minute less a margin),
-- re-registers if the relay ended the session, and ends it in BindToClose (DELETE).
-- The server key comes from HttpService:GetSecret(serverKeySecretName) where configured, else
-- from `serverKey` in the config (a ModuleScript "RealtimeBridgeConfig" in ServerStorage).
-- Shared modules: a "Shared" child of this module (as the plugin inserts it) or ../Shared.
local Shared = script:FindFirstChild("Shared") or script.Parent.Parent.Shared
local Backoff = require(Shared.Backoff)
local Batcher = require(Shared.Batcher)
local Config = require(Shared.Config)
local Cursor = require(Shared.Cursor)
local Dispatcher = require(Shared.Dispatcher)
local Poller = require(Shared.Poller)
local RelayClient = require(Shared.RelayClient)
local RequestBudget = require(Shared.RequestBudget)

local Bridge = {}

-- One server session with the relay; Bridge.new(deps) makes one over any services (specs use
-- fakes), and the module-level Bridge.start/on/trigger/stop drive one over Roblox's.
local Session = {}
Session.__index = Session
Bridge.Session = Session

local BRIDGE_KEYS = { gameId = true, serverKey = true }

-- deps: httpService, players, task, clock, jobId, placeId, bindToClose(fn), random, warn
function Bridge.new(deps)
	assert(deps and deps.httpService and deps.players and deps.task, "Bridge.new needs httpService, players, task")
	local self = setmetatable({
		_deps = deps,
		_warn = deps.warn or warn or print,
		state = "idle",
		lastError = nil,
		dispatcher = Dispatcher.new({ warn = deps.warn }),
		_roster = {},
		_connections = {},
		_pendingTriggers = {},
		_counter = 0,
	}, Session)
	return self
end

function Session:_set(state, err)
	self.state = state
	self.lastError = err
	if err and err.message then
		self._warn("Realtime Bridge: " .. err.message)
	end
	if self._onState then
		self._onState(state, err)
	end
end

-- Finds the server key: the secret first, then the config. Never prints it.
function Session:_serverKey()
	local http = self._deps.httpService
	local name = self.config.serverKeySecretName
	if name and name ~= "" and http.GetSecret then
		local ok, secret = pcall(function()
			return http:GetSecret(name)
		end)
		if ok and secret ~= nil then
			return secret
		end
	end
	local configured = self._configServerKey
	if type(configured) == "string" and configured ~= "" then
		return configured
	end
	return nil
end

function Session:start(options)
	assert(self.state == "idle" or self.state == "stopped", "Bridge already started")
	options = options or {}
	assert(type(options.gameId) == "string" and options.gameId ~= "", "Bridge.start needs gameId")
	local settings = {}
	for key, value in pairs(options) do
		if not BRIDGE_KEYS[key] and key ~= "onState" then
			settings[key] = value
		end
	end
	self.config = Config.new(settings)
	self.gameId = options.gameId
	self._configServerKey = options.serverKey
	self._onState = options.onState
	local deps = self._deps
	self.jobId = (deps.jobId and deps.jobId ~= "") and deps.jobId or ("studio-" .. deps.httpService:GenerateGUID(false))
	self.budget = RequestBudget.fromConfig(self.config, deps.clock, deps.task)
	self.client = RelayClient.new({
		baseUrl = self.config.baseUrl,
		httpService = deps.httpService,
		budget = self.budget,
		protocolVersion = self.config.protocolVersion,
	})
	self._backoff = Backoff.fromConfig(self.config, deps.random)
	self._sessionBackoff = Backoff.fromConfig(self.config, deps.random)
	self._sessionLosses = 0
	self.cursor = Cursor.new()
	self.path = nil
	self._generation = (self._generation or 0) + 1

	self._triggers = Batcher.new({
		task = deps.task,
		maxItems = self.config.triggerBatchSize,
		maxDelay = self.config.triggerFlushSeconds,
		warn = deps.warn,
		backoff = Backoff.fromConfig(self.config, deps.random),
		send = function(items)
			return self:_sendTriggers(items)
		end,
	})
	self._rosterBatch = Batcher.new({
		task = deps.task,
		maxItems = math.huge, -- one coalesced item; sent when the batch window closes
		maxDelay = self.config.rosterDelaySeconds,
		warn = deps.warn,
		backoff = Backoff.fromConfig(self.config, deps.random),
		keyOf = function()
			return "roster"
		end,
		send = function()
			return self:_sendRoster()
		end,
	})
	for _, player in ipairs(deps.players:GetPlayers()) do
		self:_playerAdded(player, true)
	end
	table.insert(
		self._connections,
		deps.players.PlayerAdded:Connect(function(player)
			self:_playerAdded(player)
		end)
	)
	table.insert(
		self._connections,
		deps.players.PlayerRemoving:Connect(function(player)
			self:_playerRemoving(player)
		end)
	)
	if deps.bindToClose then
		deps.bindToClose(function()
			self:stop()
		end)
	end

	local generation = self._generation
	self:_set("starting")
	deps.task.spawn(function()
		self:_connect(generation)
	end)
	return self
end

-- Checks the protocol and registers the session, retrying what can be retried.
function Session:_connect(generation)
	local key = self:_serverKey()
	if key == nil then
		self:_set("failed", {
			kind = "no_server_key",
			message = "No server key. Add the secret '"
				.. tostring(self.config.serverKeySecretName)
				.. "' (Creator Hub > Secrets) or set serverKey in ServerStorage.RealtimeBridgeConfig.",
		})
		return
	end
	local function attempt(fn)
		while self._generation == generation do
			local ok, value = fn()
			if self._generation ~= generation then
				return false
			end
			if ok then
				self._backoff:reset()
				return true, value
			end
			if RelayClient.isFatal(value) or value.retryable == false then
				self:_set("failed", value)
				return false
			end
			self.lastError = value
			self._deps.task.wait(self._backoff:next(value.retryAfter))
		end
		return false
	end
	if not attempt(function()
		return self.client:checkProtocol()
	end) then
		return
	end
	self:_set("registering")
	local ok, session = attempt(function()
		return self.client:post(
			self.client:path("/api/v1/games/%s/servers", self.gameId),
			{ jobId = self.jobId, placeId = self._deps.placeId },
			{ token = key }
		)
	end)
	if not ok then
		return
	end
	if type(session) ~= "table" or type(session.accessToken) ~= "string" then
		self:_set("failed", { kind = "bad_response", message = "The relay's registration answer had no accessToken." })
		return
	end
	self.serverId = session.serverId
	self.client:setToken(session.accessToken)
	self.path = self.client:path("/api/v1/games/%s/servers/%s", self.gameId, self.jobId)
	self:_startPolling(generation)
	self._rosterBatch:add("roster")
	self:_set("running")
	self:_keepRosterFresh(generation)
end

function Session:_startPolling(generation)
	self.poller = Poller.new({
		client = self.client,
		path = self.path,
		cursor = self.cursor,
		dispatcher = self.dispatcher,
		backoff = Backoff.fromConfig(self.config, self._deps.random),
		task = self._deps.task,
		clock = self._deps.clock,
		waitSeconds = self.config.waitSeconds,
		limit = self.config.eventLimit,
		onState = function(state, detail)
			if self._generation ~= generation then
				return
			end
			if state == "failed" then
				self:_sessionLost(generation, detail and detail.error)
			elseif state == "backoff" then
				self._relayLost = true
			elseif state == "polling" and self._relayLost then
				-- Trying again after an outage: a restarted relay holds no presence until servers
				-- report, so report with this attempt rather than after the roster's own backoff.
				self._relayLost = false
				self._rosterBatch:add("roster")
				self._deps.task.spawn(function()
					self._rosterBatch:flush()
				end)
			end
		end,
	})
	self.poller:start()
end

-- The relay ended our session (60 s of silence, a restart that lost it): register again.
-- A revoked session or refused HTTP stays failed.
function Session:_sessionLost(generation, err)
	local lost = err
		and err.code ~= "revoked"
		and (err.kind == "unauthorized" or (err.kind == "problem" and (err.status == 404 or err.status == 410)))
	if not lost then
		self:_set("failed", err)
		return
	end
	self._sessionLosses = self._sessionLosses + 1
	if self._sessionLosses > 5 then
		self:_set("failed", err)
		return
	end
	self.path = nil
	self:_set("starting", err)
	self._deps.task.spawn(function()
		self._deps.task.wait(self._sessionBackoff:next())
		self:_connect(generation)
	end)
end

function Session:_keepRosterFresh(generation)
	if self._refreshing then
		return
	end
	self._refreshing = true
	self._deps.task.spawn(function()
		while self._generation == generation do
			self._deps.task.wait(self.config.rosterRefreshSeconds)
			if self._generation == generation and self.state == "running" then
				self._rosterBatch:add("roster")
			end
		end
		self._refreshing = false
	end)
end

function Session:_playerAdded(player, quiet)
	self._roster[player.UserId] = {
		userId = player.UserId,
		name = player.Name,
		displayName = player.DisplayName,
	}
	if not quiet and self._rosterBatch then
		self._rosterBatch:add("roster")
	end
end

function Session:_playerRemoving(player)
	self._roster[player.UserId] = nil
	if self._rosterBatch then
		self._rosterBatch:add("roster")
	end
end

function Session:roster()
	local list = {}
	for _, entry in pairs(self._roster) do
		table.insert(list, entry)
	end
	table.sort(list, function(a, b)
		return a.userId < b.userId
	end)
	return list
end

local NOT_READY = { kind = "not_registered", retryable = true, message = "not registered with the relay yet" }

function Session:_sendRoster()
	if not self.path then
		return false, NOT_READY
	end
	local ok, err = self.client:put(self.path .. "/players", { players = self:roster() })
	if ok then
		-- The session works: a later loss starts the re-register count afresh.
		self._sessionLosses = 0
		self._sessionBackoff:reset()
	end
	return ok, err
end

function Session:_sendTriggers(items)
	if not self.path then
		return false, NOT_READY
	end
	local ok, err = self.client:post(self.path .. "/trigger", { events = items })
	return ok, err
end

-- Bridge.on(event, fn): fn(data, envelope) for each inbox event named `event` ("*" for all).
function Session:on(eventName, fn)
	return self.dispatcher:on(eventName, fn)
end

-- Queues an event for the relay to publish; sent in batches of up to 10.
function Session:trigger(channel, eventName, data)
	assert(type(channel) == "string" and type(eventName) == "string", "Bridge.trigger(channel, event, data)")
	assert(self._triggers, "call Bridge.start first")
	self._counter = self._counter + 1
	return self._triggers:add({
		channel = channel,
		event = eventName,
		data = data,
		id = string.format("%s-%d", self.jobId, self._counter),
	})
end

-- Ends the session (BindToClose): stop polling, send what is queued, DELETE the session.
function Session:stop()
	if self.state == "stopped" or self.state == "idle" then
		return
	end
	local path = self.path
	self._generation = (self._generation or 0) + 1
	self:_set("stopping")
	for _, connection in ipairs(self._connections) do
		connection:Disconnect()
	end
	self._connections = {}
	if self.poller then
		self.poller:stop()
	end
	self._rosterBatch:stop()
	if path then
		self._triggers:flush()
	end
	self._triggers:stop()
	if path then
		self.client:delete(path, { priority = "critical" })
	end
	self.path = nil
	self:_set("stopped")
end

-- The module-level API: one Session over the real Roblox services.
local default

local function robloxDeps()
	local ServerStorage = game:GetService("ServerStorage")
	return {
		httpService = game:GetService("HttpService"),
		players = game:GetService("Players"),
		task = task,
		clock = os.clock,
		jobId = game.JobId,
		placeId = game.PlaceId,
		bindToClose = function(fn)
			game:BindToClose(fn)
		end,
		configModule = ServerStorage:FindFirstChild("RealtimeBridgeConfig"),
	}
end

-- Bridge.start(config?): without a config, ServerStorage.RealtimeBridgeConfig is required.
function Bridge.start(config)
	local deps = robloxDeps()
	if config == nil and deps.configModule then
		config = require(deps.configModule)
	end
	default = Bridge.new(deps)
	return default:start(config)
end

function Bridge.on(eventName, fn)
	assert(default, "call Bridge.start first")
	return default:on(eventName, fn)
end

function Bridge.trigger(channel, eventName, data)
	assert(default, "call Bridge.start first")
	return default:trigger(channel, eventName, data)
end

function Bridge.stop()
	if default then
		default:stop()
	end
end

return Bridge
