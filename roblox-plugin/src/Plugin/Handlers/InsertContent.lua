-- InsertContent: creates the scripts and models a `insert-content` event describes, in one
-- undoable step, after checking the whole description first (all or nothing). Event data:
--   { title?, parent = "ServerScriptService", instances = {
--       { className = "Script", name = "Quiz", source = "print('hi')", children = { ... } }, ... } }
-- `parent` is a service, optionally with a dotted path below it ("StarterPlayer.StarterPlayerScripts").
-- Only script and container classes are created, and only under the services listed below.
-- Roblox seams: createInstance(className) = Instance.new, getService(name) = game:GetService,
-- changeHistory = ChangeHistoryService (optional), selection = Selection (optional).
local InsertContent = {}
InsertContent.__index = InsertContent

InsertContent.EVENT = "insert-content"

InsertContent.ALLOWED_CLASSES = {
	Script = true,
	LocalScript = true,
	ModuleScript = true,
	Folder = true,
	Model = true,
	Configuration = true,
}

InsertContent.ALLOWED_SERVICES = {
	Workspace = true,
	ServerScriptService = true,
	ServerStorage = true,
	ReplicatedStorage = true,
	StarterGui = true,
	StarterPack = true,
	StarterPlayer = true,
}

InsertContent.MAX_INSTANCES = 200
InsertContent.MAX_SOURCE = 200000

local SCRIPTS = { Script = true, LocalScript = true, ModuleScript = true }

function InsertContent.new(options)
	assert(options.createInstance and options.getService, "InsertContent needs createInstance and getService")
	return setmetatable({
		_createInstance = options.createInstance,
		_getService = options.getService,
		_changeHistory = options.changeHistory,
		_selection = options.selection,
		_commit = options.commitOperation,
		_onInserted = options.onInserted,
		_warn = options.warn or warn or print,
	}, InsertContent)
end

-- Checks a description; returns the number of instances or nil and the reason.
function InsertContent.validate(data)
	if type(data) ~= "table" or type(data.instances) ~= "table" or #data.instances == 0 then
		return nil, "no instances to insert"
	end
	local count = 0
	local function check(list, where)
		for i, item in ipairs(list) do
			local label = where .. "[" .. i .. "]"
			if type(item) ~= "table" then
				return label .. " is not an object"
			end
			if not InsertContent.ALLOWED_CLASSES[item.className] then
				return label .. ": class " .. tostring(item.className) .. " is not allowed"
			end
			if type(item.name) ~= "string" or item.name == "" or #item.name > 100 then
				return label .. ": name must be 1-100 characters"
			end
			if item.source ~= nil then
				if not SCRIPTS[item.className] then
					return label .. ": only scripts have source"
				end
				if type(item.source) ~= "string" or #item.source > InsertContent.MAX_SOURCE then
					return label .. ": source must be a string of at most " .. InsertContent.MAX_SOURCE .. " characters"
				end
			end
			count = count + 1
			if count > InsertContent.MAX_INSTANCES then
				return "more than " .. InsertContent.MAX_INSTANCES .. " instances"
			end
			if item.children ~= nil then
				if type(item.children) ~= "table" then
					return label .. ": children must be a list"
				end
				local problem = check(item.children, label .. ".children")
				if problem then
					return problem
				end
			end
		end
		return nil
	end
	local problem = check(data.instances, "instances")
	if problem then
		return nil, problem
	end
	return count
end

function InsertContent:_resolveParent(path)
	path = path or "ServerScriptService"
	local serviceName = string.match(path, "^[^%.]+")
	if not InsertContent.ALLOWED_SERVICES[serviceName] then
		return nil, "parent " .. tostring(path) .. " is not allowed"
	end
	local node = self._getService(serviceName)
	for part in string.gmatch(string.sub(path, #serviceName + 2), "[^%.]+") do
		node = node:FindFirstChild(part)
		if not node then
			return nil, "parent " .. path .. " does not exist"
		end
	end
	return node
end

function InsertContent:_build(item, parent)
	local instance = self._createInstance(item.className)
	instance.Name = item.name
	if item.source then
		instance.Source = item.source
	end
	for _, child in ipairs(item.children or {}) do
		self:_build(child, instance)
	end
	instance.Parent = parent
	return instance
end

-- Inserts what `data` describes. Returns the created top-level instances, or nil and a reason.
function InsertContent:insert(data)
	local count, problem = InsertContent.validate(data)
	if not count then
		self._warn("Realtime Bridge: did not insert content: " .. problem)
		return nil, problem
	end
	local parent, parentProblem = self:_resolveParent(data.parent)
	if not parent then
		self._warn("Realtime Bridge: did not insert content: " .. parentProblem)
		return nil, parentProblem
	end
	local recording
	if self._changeHistory then
		recording = self._changeHistory:TryBeginRecording("Insert generated content")
	end
	local created = {}
	for _, item in ipairs(data.instances) do
		table.insert(created, self:_build(item, parent))
	end
	if self._changeHistory and recording then
		self._changeHistory:FinishRecording(recording, self._commit)
	end
	if self._selection then
		self._selection:Set(created)
	end
	if self._onInserted then
		self._onInserted(created, data)
	end
	return created
end

function InsertContent:register(dispatcher)
	dispatcher:on(InsertContent.EVENT, function(data)
		self:insert(data)
	end)
end

return InsertContent
