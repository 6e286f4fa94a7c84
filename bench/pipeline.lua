-- wrk script: HTTP/1.1 pipelining, as in the TechEmpower plaintext test. Each write carries `depth`
-- requests (default 16) for the URL's path; wrk counts every response.
--
--   wrk -t1 -c256 -d10s -s bench/pipeline.lua http://127.0.0.1:8080/plaintext -- 16

local depth = 16
local batch

function init(args)
  if args[1] ~= nil then
    depth = tonumber(args[1])
  end
  local one = wrk.format(nil, nil, { ["Accept"] = "text/plain" })
  batch = string.rep(one, depth)
end

function request()
  return batch
end
