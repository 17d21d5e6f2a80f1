-- One load-test scenario for wrk: each request takes the next logged-in browser's cookie, its
-- path and (for a POST) its body, with a fresh form key where the body says FORMKEY.
-- bench/loadtest.py writes the `scenario` table in front of this file.
local counter = 0
thread_number = 0  -- set per thread by setup() below
local created = 0

function setup(thread)
  created = created + 1
  thread:set("thread_number", created)
end

function request()
  counter = counter + 1
  local i = (counter % #scenario.cookies) + 1
  local headers = { Cookie = scenario.cookies[i] }
  if scenario.method == "POST" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    local key = string.format("%s%02d%013d", scenario.key_prefix, thread_number, counter)
    local body = scenario.bodies[i]:gsub("FORMKEY", key)
    return wrk.format("POST", scenario.paths[i], headers, body)
  end
  return wrk.format("GET", scenario.paths[i], headers)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"socket_errors": %d, "status_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), errors.connect + errors.read + errors.write + errors.timeout, errors.status))
end
