-- Realtime Bridge Studio plugin: the Roblox-only edge. Builds the toolbar button, the dock
-- widget (status line, pairing code, content progress, notifications, buttons) and hands the
-- real services to App, which does everything else (and is what the specs test).
-- Runs only inside Studio as a plugin; not loaded by the specs.
local HttpService = game:GetService("HttpService")
local Players = game:GetService("Players")
local Selection = game:GetService("Selection")
local ChangeHistoryService = game:GetService("ChangeHistoryService")
local StudioService = game:GetService("StudioService")

local App = require(script.App)
local root = script.Parent

local streamType = nil
if Enum.WebStreamClientType then
	streamType = Enum.WebStreamClientType.SSE
end

-- Widget ------------------------------------------------------------------------------------
local toolbar = plugin:CreateToolbar("Realtime Bridge")
local toggle = toolbar:CreateButton("Realtime Bridge", "Show the Realtime Bridge panel", "rbxassetid://4458901886")
toggle.ClickableWhenViewportHidden = true

local widget = plugin:CreateDockWidgetPluginGui(
	"RealtimeBridge",
	DockWidgetPluginGuiInfo.new(Enum.InitialDockState.Right, false, false, 320, 360, 260, 240)
)
widget.Title = "Realtime Bridge"
toggle.Click:Connect(function()
	widget.Enabled = not widget.Enabled
end)

local frame = Instance.new("ScrollingFrame")
frame.Size = UDim2.fromScale(1, 1)
frame.AutomaticCanvasSize = Enum.AutomaticSize.Y
frame.CanvasSize = UDim2.new()
frame.BackgroundTransparency = 1
frame.Parent = widget
local layout = Instance.new("UIListLayout")
layout.Padding = UDim.new(0, 6)
layout.SortOrder = Enum.SortOrder.LayoutOrder
layout.Parent = frame

local order = 0
local function label(textSize)
	order = order + 1
	local text = Instance.new("TextLabel")
	text.LayoutOrder = order
	text.Size = UDim2.new(1, -12, 0, 0)
	text.AutomaticSize = Enum.AutomaticSize.Y
	text.TextWrapped = true
	text.TextXAlignment = Enum.TextXAlignment.Left
	text.BackgroundTransparency = 1
	text.TextSize = textSize or 14
	text.TextColor3 = settings().Studio.Theme:GetColor(Enum.StudioStyleGuideColor.MainText)
	text.Text = ""
	text.Parent = frame
	return text
end
local function button(caption)
	order = order + 1
	local b = Instance.new("TextButton")
	b.LayoutOrder = order
	b.Size = UDim2.new(1, -12, 0, 28)
	b.Text = caption
	b.Parent = frame
	return b
end

local statusLabel = label(14)
local codeLabel = label(28)
local progressLabel = label(13)
local notificationLabel = label(13)
local pairButton = button("Pair with the relay")
local unpairButton = button("Unpair")
local installButton = button("Insert game-server module")

local recent = {}

-- App ---------------------------------------------------------------------------------------
local app
app = App.new({
	plugin = plugin,
	httpService = HttpService,
	task = task,
	clock = os.clock,
	streamType = streamType,
	warn = warn,
	pairingRequest = {
		placeId = game.PlaceId,
		gameId = tostring(game.GameId),
		studioUserId = StudioService:GetUserId(),
	},
	roblox = {
		createInstance = function(className)
			return Instance.new(className)
		end,
		getService = function(name)
			return game:GetService(name)
		end,
		changeHistory = ChangeHistoryService,
		selection = Selection,
		commitOperation = Enum.FinishRecordingOperation.Commit,
	},
	ui = {
		onState = function(state, current)
			statusLabel.Text = state .. (current.message and (": " .. current.message) or "")
			local pairing = current.pairing
			if state == "pairing" and pairing and pairing.userCode then
				codeLabel.Text = pairing.userCode
			else
				codeLabel.Text = ""
			end
			pairButton.Visible = state == "unpaired" or state == "error"
			unpairButton.Visible = state == "listening" or state == "connecting"
		end,
		onProgress = function(jobs)
			local lines = {}
			for i = 1, math.min(#jobs, 5) do
				local job = jobs[i]
				table.insert(
					lines,
					string.format("%s  %d%%  %s  %s", job.id, job.percent, job.status, job.message or "")
				)
			end
			progressLabel.Text = table.concat(lines, "\n")
		end,
		notify = function(entry)
			table.insert(recent, 1, "[" .. entry.level .. "] " .. entry.message)
			while #recent > 5 do
				table.remove(recent)
			end
			notificationLabel.Text = table.concat(recent, "\n")
		end,
	},
})

pairButton.Activated:Connect(function()
	app:pair()
end)
unpairButton.Activated:Connect(function()
	task.spawn(function()
		app:unpair()
	end)
end)
installButton.Activated:Connect(function()
	local recording = ChangeHistoryService:TryBeginRecording("Insert Realtime Bridge game-server module")
	local module = App.installGameServer(root, game:GetService("ServerScriptService"))
	if recording then
		ChangeHistoryService:FinishRecording(recording, Enum.FinishRecordingOperation.Commit)
	end
	Selection:Set({ module })
end)

-- roblox-sync publishing: place, selection (throttled in SyncPublisher), Team Create roster ---
local connections = {}

local function publisher()
	if app.state == "listening" and app.publisher then
		return app.publisher
	end
	return nil
end

local function selectionPaths()
	local paths = {}
	for i, instance in ipairs(Selection:Get()) do
		if i > 50 then
			break
		end
		table.insert(paths, instance:GetFullName())
	end
	return paths
end

local function rosterList()
	local users = {}
	for _, player in ipairs(Players:GetPlayers()) do
		table.insert(users, { userId = player.UserId, name = player.Name })
	end
	return users
end

table.insert(
	connections,
	Selection.SelectionChanged:Connect(function()
		local p = publisher()
		if p then
			p:selectionChanged(selectionPaths())
		end
	end)
)
table.insert(
	connections,
	game:GetPropertyChangedSignal("Name"):Connect(function()
		local p = publisher()
		if p then
			p:placeChanged({ placeId = game.PlaceId, name = game.Name })
		end
	end)
)
local function rosterChanged()
	local p = publisher()
	if p then
		p:rosterChanged(rosterList())
	end
end
table.insert(connections, Players.PlayerAdded:Connect(rosterChanged))
table.insert(
	connections,
	Players.PlayerRemoving:Connect(function()
		task.defer(rosterChanged)
	end)
)

plugin.Unloading:Connect(function()
	for _, connection in ipairs(connections) do
		connection:Disconnect()
	end
	app:stop()
end)

task.spawn(function()
	app:start()
	-- Announce the place once listening.
	for _ = 1, 30 do
		local p = publisher()
		if p then
			p:placeChanged({ placeId = game.PlaceId, name = game.Name })
			p:rosterChanged(rosterList())
			break
		end
		task.wait(1)
	end
end)
