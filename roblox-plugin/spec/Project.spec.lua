-- Checks that hold the Roblox side together: the Rojo tree the Loader builds from
-- rojo.project.json, that every source file parses as Lua 5.1 and every module loads, and
-- that every module has a spec beside it.
local lfs = require("lfs")
local Loader = require("support.Loader")

local SRC = Loader.repoRoot .. "/roblox-plugin/src"

local function luaFiles(dir, list)
	list = list or {}
	for entry in lfs.dir(dir) do
		if entry ~= "." and entry ~= ".." then
			local path = dir .. "/" .. entry
			if lfs.attributes(path, "mode") == "directory" then
				luaFiles(path, list)
			elseif entry:match("%.lua$") then
				table.insert(list, path)
			end
		end
	end
	table.sort(list)
	return list
end

describe("the Roblox project", function()
	it("builds the tree Rojo would: a Plugin script with its modules, Shared, GameServer", function()
		local root = Loader.root()
		assert.are.equal("RealtimeBridge", root.Name)
		assert.are.equal("Script", root.Plugin.ClassName)
		assert.are.equal("ModuleScript", root.Plugin.Pairing.ClassName)
		assert.are.equal("ModuleScript", root.Plugin.Handlers.ClassName)
		assert.are.equal("ModuleScript", root.Plugin.Handlers.InsertContent.ClassName)
		assert.are.equal("Folder", root.Shared.ClassName)
		assert.are.equal("ModuleScript", root.GameServer.Bridge.ClassName)
		assert.is_nil(root.Shared:FindFirstChild("Backoff.spec"))
		assert.is_nil(root.Shared:FindFirstChild("Nope"))
		assert.has_error(function()
			return root.Shared.Nope
		end)
	end)

	it("lists no spec files as children (rojo.project.json globIgnorePaths)", function()
		for _, child in ipairs(Loader.root().Shared:GetChildren()) do
			assert.is_nil(child.Name:find("spec", 1, true))
		end
	end)

	it("parses every source file as Lua 5.1", function()
		local files = luaFiles(SRC)
		assert.is_true(#files > 20)
		for _, path in ipairs(files) do
			local chunk, err = loadfile(path)
			assert(chunk, err)
		end
	end)

	it("loads every module and each returns a table", function()
		local function visit(node)
			if node.ClassName == "ModuleScript" then
				assert.are.equal("table", type(Loader.require(node)), node:GetFullName())
			end
			for _, child in ipairs(node:GetChildren()) do
				visit(child)
			end
		end
		visit(Loader.root())
	end)

	it("has a spec beside every module", function()
		for _, path in ipairs(luaFiles(SRC)) do
			if not path:match("%.spec%.lua$") and not path:match("%.server%.lua$") then
				local spec = path:gsub("%.lua$", ".spec.lua")
				assert(lfs.attributes(spec, "mode") == "file", "no spec for " .. path)
			end
		end
	end)
end)
