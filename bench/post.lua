-- wrk script for bench/run.py: POST with the API headers, spread over end users,
-- count response statuses, and print one machine-readable JSON line at the end.
--
-- Environment (read when wrk starts):
--   BENCH_SK       secret key, sent as "Authorization: Bearer <BENCH_SK>" (optional: the no-op ignores it)
--   BENCH_USERS_FILE  a file with one end-user id per line, sent as X-User-Id round-robin (optional)
--   BENCH_USER_IDS    or the ids comma-separated
--   BENCH_IDEMPOTENCY if set, every request carries its own Idempotency-Key (never repeated, so
--                     each call is a first call that counts: the cost of the key, not of a replay)
--
-- Each wrk thread has its own Lua state: the per-thread counters are gathered in done().

local sk = os.getenv("BENCH_SK") or ""
local users_env = os.getenv("BENCH_USER_IDS") or ""
local users_file = os.getenv("BENCH_USERS_FILE") or ""
local idempotency = (os.getenv("BENCH_IDEMPOTENCY") or "") ~= ""

local threads = {}
local thread_count = 0

function setup(thread)
   thread_count = thread_count + 1
   thread:set("tid", thread_count)
   table.insert(threads, thread)
end

local requests = {}
local headers_of = {}
local n_requests = 0
local next_request = 0
local sent = 0
local run_tag = ""

-- status counters (globals so that done() can read them with thread:get)
s200 = 0; s2xx = 0; s403 = 0; s429 = 0; s4xx = 0; s5xx = 0; sother = 0

function init(args)
   local headers = { ["Content-Type"] = "application/json" }
   if sk ~= "" then headers["Authorization"] = "Bearer " .. sk end
   local users = {}
   if users_file ~= "" then
      for line in io.lines(users_file) do
         local u = line:match("^%s*(.-)%s*$")
         if u ~= "" then table.insert(users, u) end
      end
   else
      for u in string.gmatch(users_env, "[^,]+") do table.insert(users, u) end
   end
   if #users == 0 then users = { "" } end
   -- Start each thread at a different user so that threads do not march in step.
   for i = 1, #users do
      local u = users[((i - 1 + (tid or 1) - 1) % #users) + 1]
      if u ~= "" then headers["X-User-Id"] = u else headers["X-User-Id"] = nil end
      requests[i] = wrk.format("POST", nil, headers, "")
      local copy = {}
      for k, v in pairs(headers) do copy[k] = v end
      headers_of[i] = copy
   end
   n_requests = #requests
   math.randomseed(os.time() + (tid or 1))
   run_tag = string.format("%d-%d-%d", os.time(), tid or 1, math.random(1, 1000000000))
end

function request()
   next_request = next_request % n_requests + 1
   if not idempotency then return requests[next_request] end
   sent = sent + 1
   local headers = headers_of[next_request]
   headers["Idempotency-Key"] = "bench-" .. run_tag .. "-" .. sent
   return wrk.format("POST", nil, headers, "")
end

function response(status, headers, body)
   if status == 200 then s200 = s200 + 1
   elseif status >= 200 and status < 300 then s2xx = s2xx + 1
   elseif status == 403 then s403 = s403 + 1
   elseif status == 429 then s429 = s429 + 1
   elseif status >= 400 and status < 500 then s4xx = s4xx + 1
   elseif status >= 500 then s5xx = s5xx + 1
   else sother = sother + 1 end
end

function done(summary, latency, requests)
   local c = { s200 = 0, s2xx = 0, s403 = 0, s429 = 0, s4xx = 0, s5xx = 0, sother = 0 }
   for _, t in ipairs(threads) do
      for k, _ in pairs(c) do c[k] = c[k] + (t:get(k) or 0) end
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latency_us":{"min":%d,"mean":%.1f,"max":%d,"stdev":%.1f,"p50":%d,"p75":%d,"p90":%d,"p99":%d,"p999":%d},' ..
      '"status":{"200":%d,"other_2xx":%d,"403":%d,"429":%d,"other_4xx":%d,"5xx":%d,"other":%d}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.min, latency.mean, latency.max, latency.stdev,
      latency:percentile(50), latency:percentile(75), latency:percentile(90),
      latency:percentile(99), latency:percentile(99.9),
      c.s200, c.s2xx, c.s403, c.s429, c.s4xx, c.s5xx, c.sother))
end
