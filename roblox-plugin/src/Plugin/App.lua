-- App: the Studio plugin's controller, everything between the Roblox edges (init.server.lua
-- builds the toolbar, widget and real services) and the relay. States:
--   unpaired -> pairing (Pairing shows a code) -> connecting -> listening (SSE or long-poll)
--   error (a message the widget shows; pairing or unpairing again is always possible)
-- It keeps the token and cursor in plugin settings, wires the dispatcher to the handlers,
-- publishes roblox-sync through SyncPublisher, forgets the token when the relay refuses it,
-- and stops everything on plugin.Unloading.
local Shared = script.Parent.Parent.Shared
local Backoff = require(Shared.Backoff)
local Config = require(Shared.Config)
local Cursor = require(Shared.Cursor)
local Dispatcher = require(Shared.Dispatcher)
local Poller = require(Shared.Poller)
local RelayClient = require(Shared.RelayClient)
local Handlers = require(script.Parent.Handlers)
local Pairing = require(script.Parent.Pairing)
local Settings = require(script.Parent.Settings)
local StreamListener = require(script.Parent.StreamListener)
local SyncPublisher = require(script.Parent.SyncPublisher)

local App = {}
App.__index = App

-- deps: plugin, httpService, task, clock, random, streamType (Enum.WebStreamClientType.SSE or
-- nil), config (overrides), pairingRequest, ui = {onState(state, app), onProgress(jobs),
-- notify(entry)}, roblox = {createInstance, getService, changeHistory, selection, commitOperation}
function App.new(deps)
	assert(deps.plugin and deps.httpService and deps.task, "App needs plugin, httpService, task")
	local config = Config.new(deps.config)
	local self = setmetatable({
		_deps = deps,
		config = config,
		ui = deps.ui or {},
		settings = Settings.new(deps.plugin, config.baseUrl),
		client = RelayClient.new({
			baseUrl = config.baseUrl,
			httpService = deps.httpService,
			protocolVersion = config.protocolVersion,
		}),
		state = "idle",
		message = nil,
	}, App)
	return self
end

function App:_set(state, message)
	self.state = state
	self.message = message
	if self.ui.onState then
		self.ui.onState(state, self)
	end
end

function App:start()
	local session = self.settings:getSession()
	if session then
		self:connect(session)
	else
		self:_set("unpaired", "Not paired yet: press Pair to connect this plugin to the relay.")
	end
end

function App:pair()
	self:_stopListening()
	local deps = self._deps
	local request = {}
	for key, value in pairs(deps.pairingRequest or {}) do
		request[key] = value
	end
	request.pluginVersion = request.pluginVersion or self.config.pluginVersion
	self.pairing = Pairing.new({
		client = self.client,
		task = deps.task,
		clock = deps.clock,
		backoff = Backoff.fromConfig(self.config, deps.random),
		request = request,
		onState = function(state, pairing)
			self:_pairingChanged(state, pairing)
		end,
	})
	self.pairing:start()
end

function App:_pairingChanged(state, pairing)
	if state == "paired" then
		local session = self.settings:saveSession(pairing.result)
		self:connect(session)
	elseif state == "denied" then
		self:_set("unpaired", "The pairing was denied on the dashboard.")
	elseif state == "expired" then
		self:_set("unpaired", "The code expired before anyone entered it. Press Pair for a new one.")
	elseif state == "failed" then
		self:_set("error", pairing.lastError and pairing.lastError.message or "Pairing failed.")
	elseif state == "cancelled" then
		self:_set("unpaired", nil)
	else
		local message
		if state == "waiting" then
			message =
				string.format("Enter %s at %s", pairing.userCode or "?", pairing.verificationUri or "the dashboard")
		end
		if pairing.lastError then
			message = pairing.lastError.message
		end
		self:_set("pairing", message)
	end
end

function App:connect(session)
	local deps = self._deps
	self:_stopListening()
	self.session = session
	self.client:setToken(session.token)
	self.path = self.client:path("/api/v1/plugins/%s", session.pluginId)
	self.cursor = Cursor.new({
		after = self.settings:getCursor(),
		onChange = function(after)
			self.settings:setCursor(after)
		end,
	})
	self.dispatcher = Dispatcher.new({ warn = deps.warn })
	local roblox = deps.roblox or {}
	self.handlers = Handlers.registerAll(self.dispatcher, {
		onProgress = self.ui.onProgress,
		notify = self.ui.notify,
		onWatchers = self.ui.onWatchers,
		clock = deps.clock,
		warn = deps.warn,
		createInstance = roblox.createInstance,
		getService = roblox.getService,
		changeHistory = roblox.changeHistory,
		selection = roblox.selection,
		commitOperation = roblox.commitOperation,
	})
	local function createPoller()
		return Poller.new({
			client = self.client,
			path = self.path,
			cursor = self.cursor,
			dispatcher = self.dispatcher,
			backoff = Backoff.fromConfig(self.config, deps.random),
			task = deps.task,
			clock = deps.clock,
			waitSeconds = self.config.waitSeconds,
			limit = self.config.eventLimit,
			onState = function(state, detail)
				self:_listenerChanged(state, detail and detail.error)
			end,
		})
	end
	self.listener = StreamListener.new({
		httpService = deps.httpService,
		client = self.client,
		path = self.path,
		token = session.token,
		cursor = self.cursor,
		dispatcher = self.dispatcher,
		task = deps.task,
		backoff = Backoff.fromConfig(self.config, deps.random),
		streamType = deps.streamType,
		failuresBeforePolling = self.config.streamFailuresBeforePolling,
		createPoller = createPoller,
		warn = deps.warn,
		onState = function(state, listener)
			if state ~= "polling" then
				self:_listenerChanged(state, listener.lastError)
			end
		end,
	})
	self.publisher = SyncPublisher.new({
		client = self.client,
		path = self.path,
		task = deps.task,
		batchSize = self.config.triggerBatchSize,
		throttleSeconds = self.config.syncThrottleSeconds,
		backoff = Backoff.fromConfig(self.config, deps.random),
		idPrefix = tostring(session.pluginId) .. "-" .. tostring(deps.clock and deps.clock() or 0),
		warn = deps.warn,
	})
	self:_set("connecting")
	self.listener:start()
end

function App:_listenerChanged(state, err)
	if state == "streaming" or state == "polling" then
		self:_set("listening", nil)
	elseif state == "backoff" then
		self:_set("connecting", err and err.message)
	elseif state == "failed" then
		if err and err.kind == "unauthorized" then
			self:_stopListening()
			self.settings:clearSession()
			self:_set("unpaired", err.message)
		else
			self:_set("error", err and err.message or "Listening stopped.")
		end
	end
end

function App:_stopListening()
	if self.listener then
		self.listener:stop()
		self.listener = nil
	end
	if self.publisher then
		self.publisher:stop()
		self.publisher = nil
	end
end

-- Forgets this plugin on the relay (its own token may DELETE it) and locally.
function App:unpair()
	local session = self.session or self.settings:getSession()
	self:_stopListening()
	if session then
		self.client:setToken(session.token)
		self.client:delete(self.client:path("/api/v1/plugins/%s", session.pluginId))
	end
	self.settings:clearSession()
	self.session = nil
	self:_set("unpaired", "Unpaired.")
end

-- plugin.Unloading: stop polling/streaming and pairing; nothing keeps running.
function App:stop()
	if self.pairing then
		self.pairing:cancel()
	end
	self:_stopListening()
	self:_set("stopped")
end

-- Puts the game-server module into ServerScriptService as "RealtimeBridge", with Shared inside.
function App.installGameServer(root, serverScriptService)
	local existing = serverScriptService:FindFirstChild("RealtimeBridge")
	if existing then
		existing:Destroy()
	end
	local module = root.GameServer.Bridge:Clone()
	module.Name = "RealtimeBridge"
	root.Shared:Clone().Parent = module
	module.Parent = serverScriptService
	return module
end

return App
