--- A least-recently-used cache.
-- @module cache
local M = {}

local Cache = {}
Cache.__index = Cache

--- Creates a cache holding at most `capacity` entries.
function M.new(capacity)
  return setmetatable({ capacity = capacity, items = {}, order = {} }, Cache)
end

--- Returns the cached value for `key`, or nil.
function Cache:get(key)
  local item = self.items[key]
  if item then
    self:touch(key)
  end
  return item
end

function Cache:touch(key)
  table.insert(self.order, key)
end

-- Evicts the oldest entry.
local function evict(cache)
  local oldest = table.remove(cache.order, 1)
  cache.items[oldest] = nil
end

M.evict = evict

M.size = function(cache)
  local n = 0
  for _ in pairs(cache.items) do n = n + 1 end
  return n
end

return M
