-- wrk script: send each line of a file once, split among the threads.
--   wrk -s bench/unique.lua URL -- FILE THREADS AUTHORIZATION PLACE
-- PLACE "body": POST each line as a form body (codes, refresh tokens); else a header name
-- ("DPoP"): GET with each line as that header. Every request is built once, in init(), so that
-- the load generator spends per request what wrk without a script does. A thread that runs out
-- of lines sends the request without one (answered 4xx, counted as an error).
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  local threads, place, i = tonumber(args[2]), args[4], 0
  local base = { ["Authorization"] = args[3] }  -- wrk.format adds Host itself
  local method = "GET"
  if place == "body" then
    method = "POST"
    base["Content-Type"] = "application/x-www-form-urlencoded"
  end
  local function build(line)
    local headers = {}
    for name, value in pairs(base) do
      headers[name] = value
    end
    if place == "body" then
      return wrk.format(method, nil, headers, line or "")
    end
    headers[place] = line
    return wrk.format(method, nil, headers, nil)
  end
  requests = {}
  for line in io.lines(args[1]) do
    if i % threads == id then
      requests[#requests + 1] = build(line)
    end
    i = i + 1
  end
  spent = build(nil)
  index = 0
end

function request()
  index = index + 1
  return requests[index] or spent
end
