-- wrk script: POST DocInk webhook bodies, each one unique, with the Bearer secret; count 2xx
-- and non-2xx responses, and print one "BENCH_JSON {...}" line that bench/wrk.py reads.
-- Arguments (after --): <templates file> <secret> <salt>
-- The templates file has one JSON body per line, one line per schedule slot, with @N@ (unique
-- per request) and @ORG@ (one of 500 organizations) in place of numbers.

local threads = {}
local templates = {}
local counter = 0
local org_base, orgs = 100000000, 500
ok, bad = 0, 0 -- globals: read by done() through thread:get
statuses = {} -- non-2xx answers by status code

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    table.insert(templates, line)
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. args[2]
  -- thread_index * 50M + salt: distinct numbers in every thread and every run
  counter = (tonumber(args[3]) or 0) + thread_index * 50000000
end

function request()
  counter = counter + 1
  local template = templates[counter % #templates + 1]
  local body = template:gsub("@N@", tostring(counter))
  body = body:gsub("@ORG@", tostring(org_base + counter % orgs))
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    bad = bad + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local good, non2xx, by_status = 0, 0, {}
  for _, thread in ipairs(threads) do
    good = good + thread:get("ok")
    non2xx = non2xx + thread:get("bad")
    for status, n in pairs(thread:get("statuses")) do
      by_status[status] = (by_status[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(by_status) do
    table.insert(parts, string.format('"%d":%d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"ok":%d,"non2xx":%d,"by_status":{%s},' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, good, non2xx, table.concat(parts, ","),
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
