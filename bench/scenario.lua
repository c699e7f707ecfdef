-- wrk script shared by every scenario of bench/run.py.
--
--   wrk -s bench/scenario.lua URL -- EXPECT [METHOD [BODY]]
--
-- EXPECT  a string that every response body must contain (plain match; "" checks nothing)
-- METHOD  the request method (default GET)
-- BODY    the request body (default none; wrk adds Content-Length)
--
-- Headers (Authorization, Content-Type) come from wrk's -H options. The request is
-- static (no request() function), so wrk builds it once per thread. response() counts
-- every status code and every body without EXPECT, and done() prints one line
--
--   BENCH_RESULT {json}
--
-- with the summary, the latency percentiles (microseconds) and those counts, which
-- run.py parses.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   expect = args[1] or ""
   if args[2] ~= nil and args[2] ~= "" then
      wrk.method = args[2]
   end
   if args[3] ~= nil and args[3] ~= "" then
      wrk.body = args[3]
   end
   statuses = {}
   unexpected = 0
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   if expect ~= "" and (body == nil or not string.find(body, expect, 1, true)) then
      unexpected = unexpected + 1
   end
end

function done(summary, latency, requests)
   local codes = {}
   local bad = 0
   for _, thread in ipairs(threads) do
      for code, n in pairs(thread:get("statuses")) do
         codes[code] = (codes[code] or 0) + n
      end
      bad = bad + thread:get("unexpected")
   end
   local parts = {}
   for code, n in pairs(codes) do
      table.insert(parts, string.format('"%d": %d', code, n))
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, '
         .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
         .. '"latency_us": {"min": %.0f, "mean": %.1f, "stdev": %.1f, "max": %.0f, '
         .. '"p50": %.0f, "p90": %.0f, "p99": %.0f, "p99.9": %.0f}, '
         .. '"statuses": {%s}, "unexpected_bodies": %d}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.min, latency.mean, latency.stdev, latency.max,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency:percentile(99.9),
      table.concat(parts, ", "), bad))
end
