-- wrk script: GET with each line of a file as the DPoP header once, split among the threads.
--   wrk -s bench/unique_headers.lua URL -- PROOFS_FILE THREADS AUTHORIZATION
-- A thread that runs out of proofs sends none (answered 401, counted as an error).
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  proofs = {}
  local threads, i = tonumber(args[2]), 0
  for line in io.lines(args[1]) do
    if i % threads == id then
      proofs[#proofs + 1] = line
    end
    i = i + 1
  end
  index = 0
  authorization = args[3]
  wrk.method = "GET"
end

function request()
  index = index + 1
  -- wrk.format takes these headers instead of wrk.headers (it adds Host itself)
  local headers = { ["Authorization"] = authorization }
  if proofs[index] then
    headers["DPoP"] = proofs[index]
  end
  return wrk.format(nil, nil, headers, nil)
end
