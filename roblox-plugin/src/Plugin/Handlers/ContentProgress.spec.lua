local Loader = require("support.Loader")
local FakeScheduler = require("support.FakeScheduler")
local ContentProgress = Loader.load("Plugin/Handlers/ContentProgress")

describe("ContentProgress", function()
	local scheduler, progress, shown
	before_each(function()
		scheduler = FakeScheduler.new()
		shown = nil
		progress = ContentProgress.new({
			clock = scheduler.clock,
			onChange = function(jobs)
				shown = jobs
			end,
		})
	end)

	local function event(name, id, data)
		return data, { event = name, channel = "content-generation-" .. id, data = data }
	end

	it("tracks a job from its channel and shows its progress", function()
		progress:handle(event("progress", "123", { status = "generating", progress = 40, message = "Writing quiz" }))
		assert.are.equal(1, #shown)
		assert.are.equal("123", shown[1].id)
		assert.are.equal(40, shown[1].percent)
		assert.are.equal("generating", shown[1].status)
		assert.are.equal("Writing quiz", shown[1].message)
	end)

	it("marks a job complete at 100 and keeps its content id", function()
		progress:handle(event("progress", "9", { progress = 100, content_id = "c-1" }))
		assert.are.equal("complete", progress.jobs["9"].status)
		assert.are.equal("c-1", progress.jobs["9"].contentId)
	end)

	it("never moves progress backwards or outside 0-100", function()
		progress:handle(event("progress", "1", { progress = 60 }))
		progress:handle(event("progress", "1", { progress = 30 }))
		assert.are.equal(60, progress.jobs["1"].percent)
		progress:handle(event("progress", "1", { progress = 250 }))
		assert.are.equal(100, progress.jobs["1"].percent)
	end)

	it("marks a job failed on an error event", function()
		progress:handle(event("progress", "1", { progress = 10 }))
		progress:handle(event("error", "1", { message = "Model overloaded" }))
		assert.are.equal("failed", progress.jobs["1"].status)
		assert.are.equal("Model overloaded", progress.jobs["1"].message)
	end)

	it("ignores progress and error events of other channels", function()
		local job = progress:handle({ progress = 50 }, { event = "progress", channel = "system-status" })
		assert.is_nil(job)
		assert.is_nil(shown)
	end)

	it("lists newest jobs first and prunes finished old ones", function()
		progress:handle(event("progress", "a", { progress = 100 }))
		progress:handle(event("progress", "b", { progress = 10 }))
		assert.are.equal("b", progress:list()[1].id)
		scheduler:advance(120)
		progress:prune(60)
		assert.is_nil(progress.jobs.a)
		assert.is_not_nil(progress.jobs.b)
	end)
end)
