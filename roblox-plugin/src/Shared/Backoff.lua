-- Backoff: how long to wait before retrying after an error. Exponential (base * factor^n,
-- capped at max) with jitter so many clients that failed together do not retry together:
-- the delay is drawn from [delay * (1 - jitter), delay]. `random` is injectable for specs.
local Backoff = {}
Backoff.__index = Backoff

function Backoff.new(options)
	options = options or {}
	local self = setmetatable({
		base = options.base or 1,
		max = options.max or 60,
		factor = options.factor or 2,
		jitter = options.jitter or 0.5,
		random = options.random or math.random,
		attempt = 0,
	}, Backoff)
	assert(self.base > 0, "Backoff base must be positive")
	assert(self.max >= self.base, "Backoff max must be at least base")
	assert(self.jitter >= 0 and self.jitter <= 1, "Backoff jitter must be between 0 and 1")
	return self
end

function Backoff.fromConfig(config, random)
	return Backoff.new({
		base = config.backoffBaseSeconds,
		max = config.backoffMaxSeconds,
		factor = config.backoffFactor,
		jitter = config.backoffJitter,
		random = random,
	})
end

-- The ceiling for the current attempt, before jitter.
function Backoff:peek()
	return math.min(self.max, self.base * self.factor ^ self.attempt)
end

-- The delay to wait now; each call makes the next one longer. `atLeast` honours Retry-After.
function Backoff:next(atLeast)
	local ceiling = self:peek()
	self.attempt = self.attempt + 1
	local delay = ceiling * (1 - self.jitter + self.jitter * self.random())
	if atLeast and delay < atLeast then
		delay = atLeast
	end
	return delay
end

function Backoff:reset()
	self.attempt = 0
end

return Backoff
