-- Config: every setting of the Roblox side with its default, in ONE table, and `Config.new`
-- which merges overrides onto the defaults and refuses unknown keys or wrong types with a
-- clear message. The relay serves the plugin with `baseUrl` pre-set to its public URL.
local Config = {}

Config.defaults = {
	-- Relay. When the relay serves the plugin, it puts its public URL into the marked line.
	baseUrl = "http://localhost:8080", -- relay:public-url
	protocolVersion = 1,
	pluginVersion = "0.1.0",

	-- Long-poll: the relay holds up to 25 s; RequestAsync gives up after about 30 s.
	waitSeconds = 20,
	eventLimit = 100,

	-- Backoff after errors: exponential with jitter.
	backoffBaseSeconds = 1,
	backoffMaxSeconds = 60,
	backoffFactor = 2,
	backoffJitter = 0.5,

	-- HttpService allows 500 requests a minute per server; keep a margin for other scripts.
	requestsPerMinute = 500,
	requestMargin = 100,

	-- Publishing: the relay takes 1-10 events per POST P/trigger.
	triggerBatchSize = 10,
	triggerFlushSeconds = 1,
	syncThrottleSeconds = 2,

	-- Roster: batched, and re-sent before the relay's 45 s presence timeout.
	rosterDelaySeconds = 2,
	rosterRefreshSeconds = 30,

	-- SSE (Studio only): give up on streams after this many failures in a row, then long-poll.
	streamFailuresBeforePolling = 3,

	-- Game servers: the secret holding the server key (HttpService:GetSecret).
	serverKeySecretName = "RealtimeBridgeServerKey",
}

function Config.new(overrides)
	local config = {}
	for key, value in pairs(Config.defaults) do
		config[key] = value
	end
	for key, value in pairs(overrides or {}) do
		local default = Config.defaults[key]
		if default == nil then
			error(string.format("Realtime Bridge: unknown setting %q", tostring(key)), 2)
		end
		if type(value) ~= type(default) then
			error(string.format("Realtime Bridge: setting %q must be a %s, got %s", key, type(default), type(value)), 2)
		end
		config[key] = value
	end
	config.baseUrl = string.gsub(config.baseUrl, "/+$", "")
	if not string.match(config.baseUrl, "^https?://[^/]+") then
		error(string.format("Realtime Bridge: baseUrl must start with http:// or https://, got %q", config.baseUrl), 2)
	end
	if config.waitSeconds < 0 or config.waitSeconds > 25 then
		error("Realtime Bridge: waitSeconds must be between 0 and 25 (RequestAsync times out near 30 s)", 2)
	end
	if config.requestMargin >= config.requestsPerMinute then
		error("Realtime Bridge: requestMargin must be smaller than requestsPerMinute", 2)
	end
	if config.triggerBatchSize < 1 or config.triggerBatchSize > 10 then
		error("Realtime Bridge: triggerBatchSize must be between 1 and 10 (the relay's limit per call)", 2)
	end
	return config
end

return Config
