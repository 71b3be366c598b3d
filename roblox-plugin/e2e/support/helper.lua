-- busted helper (see roblox-plugin/.busted): makes spec/support importable as `support.X`
-- whatever directory busted was started from, and seeds randomness so runs repeat.
local here = debug.getinfo(1, "S").source:sub(2):match("^(.*)/support/[^/]*$") or "spec"
package.path = here .. "/?.lua;" .. here .. "/?/init.lua;" .. package.path
math.randomseed(1)
