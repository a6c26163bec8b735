-- wrk script: POST each line of a file once, split among the threads (see bench/http_bench.py).
--   wrk -s bench/unique_bodies.lua URL -- BODIES_FILE THREADS AUTHORIZATION
-- A thread that runs out of bodies sends an empty one (answered 400, counted as an error).
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  bodies = {}
  local threads, i = tonumber(args[2]), 0
  for line in io.lines(args[1]) do
    if i % threads == id then
      bodies[#bodies + 1] = line
    end
    i = i + 1
  end
  index = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Authorization"] = args[3]
end

function request()
  index = index + 1
  return wrk.format(nil, nil, nil, bodies[index] or "")
end
