local Loader = require("support.Loader")
local InsertContent = Loader.load("Plugin/Handlers/InsertContent")

-- A tiny Instance: setting Parent moves it into the parent's children.
local function newInstance(className, name)
	local instance = { ClassName = className, Name = name or className, children = {} }
	function instance:FindFirstChild(childName)
		for _, child in ipairs(self.children) do
			if child.Name == childName then
				return child
			end
		end
		return nil
	end
	return setmetatable({}, {
		__index = instance,
		__newindex = function(proxy, key, value)
			if key == "Parent" then
				table.insert(value.children, proxy)
			end
			rawset(instance, key, value)
		end,
	})
end

describe("InsertContent", function()
	local services, created, history, selected, warnings, inserter

	before_each(function()
		services = {}
		for name in pairs(InsertContent.ALLOWED_SERVICES) do
			services[name] = newInstance(name, name)
		end
		local playerScripts = newInstance("StarterPlayerScripts", "StarterPlayerScripts")
		playerScripts.Parent = services.StarterPlayer
		created = 0
		history = {}
		warnings = {}
		selected = nil
		inserter = InsertContent.new({
			createInstance = function(className)
				created = created + 1
				return newInstance(className)
			end,
			getService = function(name)
				return services[name]
			end,
			changeHistory = {
				TryBeginRecording = function(_, name)
					table.insert(history, "begin:" .. name)
					return "rec-1"
				end,
				FinishRecording = function(_, id, operation)
					table.insert(history, "finish:" .. id .. ":" .. tostring(operation))
				end,
			},
			commitOperation = "Commit",
			selection = {
				Set = function(_, list)
					selected = list
				end,
			},
			warn = function(message)
				table.insert(warnings, message)
			end,
		})
	end)

	it("creates the described scripts with their source under the parent, in one undo step", function()
		local result = inserter:insert({
			parent = "ServerScriptService",
			instances = {
				{
					className = "Folder",
					name = "Lesson",
					children = { { className = "Script", name = "Quiz", source = "print('quiz')" } },
				},
			},
		})
		assert.are.equal(1, #result)
		local folder = services.ServerScriptService:FindFirstChild("Lesson")
		assert.are.equal("Folder", folder.ClassName)
		local quiz = folder:FindFirstChild("Quiz")
		assert.are.equal("Script", quiz.ClassName)
		assert.are.equal("print('quiz')", quiz.Source)
		assert.are.same({ "begin:Insert generated content", "finish:rec-1:Commit" }, history)
		assert.are.equal(result, selected)
	end)

	it("resolves a dotted parent path below a service", function()
		inserter:insert({
			parent = "StarterPlayer.StarterPlayerScripts",
			instances = { { className = "LocalScript", name = "Hud", source = "" } },
		})
		local scripts = services.StarterPlayer:FindFirstChild("StarterPlayerScripts")
		assert.is_not_nil(scripts:FindFirstChild("Hud"))
	end)

	it("creates nothing when any part of the description is not allowed", function()
		local result, reason = inserter:insert({
			instances = {
				{ className = "Script", name = "Fine", source = "" },
				{ className = "Part", name = "Nope" },
			},
		})
		assert.is_nil(result)
		assert.truthy(reason:find("class Part is not allowed", 1, true))
		assert.are.equal(0, created)
		assert.are.equal(1, #warnings)
	end)

	it("refuses parents outside the allowed services, and missing ones", function()
		assert.is_nil(inserter:insert({ parent = "CoreGui", instances = { { className = "Folder", name = "x" } } }))
		local _, reason =
			inserter:insert({ parent = "Workspace.Missing", instances = { { className = "Folder", name = "x" } } })
		assert.truthy(reason:find("does not exist", 1, true))
		assert.are.equal(0, created)
	end)

	it("validates names, sources and size", function()
		assert.is_nil((InsertContent.validate({ instances = { { className = "Folder", name = "" } } })))
		assert.is_nil((InsertContent.validate({ instances = { { className = "Folder", name = "f", source = "x" } } })))
		assert.is_nil((InsertContent.validate({ instances = {} })))
		local many = {}
		for i = 1, InsertContent.MAX_INSTANCES + 1 do
			many[i] = { className = "Folder", name = "f" .. i }
		end
		assert.is_nil((InsertContent.validate({ instances = many })))
		assert.are.equal(
			2,
			InsertContent.validate({
				instances = {
					{ className = "Model", name = "m", children = { { className = "ModuleScript", name = "s" } } },
				},
			})
		)
	end)
end)
