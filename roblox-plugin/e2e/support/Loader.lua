-- Loader (lua5.1, for the e2e runs until they move to Lune): lets the Roblox modules be required the Roblox way (`require(script.Parent.Backoff)`)
-- under plain lua5.1. It reads ../rojo.project.json and builds a small virtual Instance tree
-- with Rojo's file rules (X.lua -> ModuleScript, X.server.lua -> Script, a folder with
-- init.lua / init.server.lua -> that script with children, *.spec.lua ignored as in
-- globIgnorePaths). Each module runs with its own `script` and a `require` that accepts these
-- instances, so the same source files run in Studio and here unchanged.
local lfs = require("lfs")
local json = require("dkjson")

local Loader = {}

local function mode(path)
	return lfs.attributes(path, "mode")
end

local function thisDir()
	local source = debug.getinfo(1, "S").source:sub(2)
	return source:match("^(.*)/[^/]*$") or "."
end

-- roblox-plugin/spec/support -> repository root
local function repoRoot()
	local dir = thisDir()
	local absolute = dir
	if dir:sub(1, 1) ~= "/" then
		absolute = lfs.currentdir() .. "/" .. dir
	end
	return absolute .. "/../../.."
end

Loader.repoRoot = repoRoot()

local Instance = {}
local methods = {}

local function newInstance(name, className, parent, source, dir)
	return setmetatable({
		Name = name,
		ClassName = className,
		Parent = parent,
		_source = source or false,
		_dir = dir or false,
		_explicit = {},
		_children = {},
	}, Instance)
end

local function scriptClass(fileName)
	if fileName:match("%.server%.luau$") then
		return "Script", fileName:gsub("%.server%.luau$", "")
	elseif fileName:match("%.client%.luau$") then
		return "LocalScript", fileName:gsub("%.client%.luau$", "")
	elseif fileName:match("%.luau$") then
		return "ModuleScript", fileName:gsub("%.luau$", "")
	end
	return nil
end

-- A directory node: a folder, or a script when it holds init(.server|.client).lua.
local function nodeForDirectory(name, parent, dir)
	for _, init in ipairs({ "init.luau", "init.server.luau", "init.client.luau" }) do
		if mode(dir .. "/" .. init) == "file" then
			local className = scriptClass(init)
			return newInstance(name, className, parent, dir .. "/" .. init, dir)
		end
	end
	return newInstance(name, "Folder", parent, nil, dir)
end

local function isIgnored(fileName)
	return fileName:match("%.spec%.luau$") ~= nil or fileName:sub(1, 1) == "."
end

function Instance.__index(self, key)
	if key == "Parent" then
		return nil -- the root has no parent
	end
	local method = methods[key]
	if method then
		return method
	end
	local child = methods.FindFirstChild(self, key)
	if child then
		return child
	end
	error(string.format("%s is not a valid member of %s %q", tostring(key), self.ClassName, self:GetFullName()), 2)
end

function Instance.__tostring(self)
	return self.Name
end

function methods.GetFullName(self)
	local parent = rawget(self, "Parent")
	if parent ~= nil then
		return parent:GetFullName() .. "." .. self.Name
	end
	return self.Name
end

function methods.IsA(self, className)
	return self.ClassName == className or (className == "LuaSourceContainer" and self._source ~= false)
end

function methods.FindFirstChild(self, name)
	local explicit = self._explicit[name]
	if explicit then
		return explicit
	end
	local cached = self._children[name]
	if cached then
		return cached
	end
	local dir = self._dir
	if not dir then
		return nil
	end
	local child
	for _, suffix in ipairs({ ".luau", ".server.luau", ".client.luau" }) do
		local fileName = name .. suffix
		if not isIgnored(fileName) and mode(dir .. "/" .. fileName) == "file" then
			local className = scriptClass(fileName)
			child = newInstance(name, className, self, dir .. "/" .. fileName, nil)
			break
		end
	end
	if not child and mode(dir .. "/" .. name) == "directory" and name:sub(1, 1) ~= "." then
		child = nodeForDirectory(name, self, dir .. "/" .. name)
	end
	self._children[name] = child
	return child
end

function methods.WaitForChild(self, name)
	local child = methods.FindFirstChild(self, name)
	if not child then
		error("Infinite yield possible on " .. self:GetFullName() .. ":WaitForChild(" .. name .. ")", 2)
	end
	return child
end

function methods.GetChildren(self)
	local list = {}
	local seen = {}
	for name, child in pairs(self._explicit) do
		seen[name] = true
		table.insert(list, child)
	end
	if self._dir then
		for entry in lfs.dir(self._dir) do
			local name
			if entry ~= "." and entry ~= ".." and not isIgnored(entry) then
				if mode(self._dir .. "/" .. entry) == "directory" then
					name = entry
				elseif not entry:match("^init%.") then
					local _, base = scriptClass(entry)
					name = base
				end
			end
			if name and not seen[name] then
				seen[name] = true
				table.insert(list, methods.FindFirstChild(self, name))
			end
		end
	end
	table.sort(list, function(a, b)
		return a.Name < b.Name
	end)
	return list
end

local function buildTree(name, spec, parent)
	local node
	if spec["$path"] then
		local path = Loader.repoRoot .. "/" .. spec["$path"]
		if mode(path) == "directory" then
			node = nodeForDirectory(name, parent, path)
		else
			local className = scriptClass(path:match("[^/]+$"))
			node = newInstance(name, className, parent, path, nil)
		end
	else
		node = newInstance(name, spec["$className"] or "Folder", parent, nil, nil)
	end
	for childName, childSpec in pairs(spec) do
		if childName:sub(1, 1) ~= "$" then
			node._explicit[childName] = buildTree(childName, childSpec, node)
		end
	end
	return node
end

local function readProject()
	local file = assert(io.open(Loader.repoRoot .. "/rojo.project.json", "r"))
	local text = file:read("*a")
	file:close()
	local project, _, err = json.decode(text)
	assert(project, err)
	return project
end

local root
local cache = {}

function Loader.root()
	if not root then
		local project = readProject()
		root = buildTree(project.name, project.tree, nil)
	end
	return root
end

-- Roblox-style require: accepts a ModuleScript instance from the virtual tree.
function Loader.require(moduleScript)
	if type(moduleScript) ~= "table" or getmetatable(moduleScript) ~= Instance then
		return require(moduleScript)
	end
	if moduleScript.ClassName ~= "ModuleScript" then
		error("Attempted to call require with invalid argument(s): " .. moduleScript:GetFullName(), 2)
	end
	local cached = cache[moduleScript]
	if cached ~= nil then
		return cached.value
	end
	local chunk, err = loadfile(moduleScript._source)
	if not chunk then
		error(err, 2)
	end
	local env = setmetatable({ script = moduleScript, require = Loader.require }, { __index = _G })
	setfenv(chunk, env)
	local value = chunk()
	if value == nil then
		error("Module code did not return exactly one value: " .. moduleScript:GetFullName(), 2)
	end
	cache[moduleScript] = { value = value }
	return value
end

-- Loader.find("Shared/Backoff") -> the instance; Loader.load("Shared/Backoff") -> the module.
function Loader.find(path)
	local node = Loader.root()
	for part in path:gmatch("[^/]+") do
		node = node:WaitForChild(part)
	end
	return node
end

function Loader.load(path)
	return Loader.require(Loader.find(path))
end

-- Runs a script file (e.g. a Script) with given globals; used to smoke-load Roblox-only code.
function Loader.compile(path)
	local node = Loader.find(path)
	local chunk, err = loadfile(node._source)
	return chunk, err, node
end

function Loader.isInstance(value)
	return type(value) == "table" and getmetatable(value) == Instance
end

return Loader
