-- wrk script for the plugd bench: each connection sends DEPTH GETs back to back (HTTP/1.1
-- pipelining) and waits for their DEPTH responses. `wrk ... -s pipeline.lua URL -- DEPTH`.
-- Latency is per batch of DEPTH requests; req/s counts every response.
local batch

init = function(args)
  local depth = tonumber(args[1]) or 16
  local r = {}
  for i = 1, depth do
    r[i] = wrk.format(nil, "/")
  end
  batch = table.concat(r)
end

request = function()
  return batch
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%.0f,"duration_us":%.0f,"bytes":%.0f,"p50_us":%.0f,"p99_us":%.0f,"max_us":%.0f,' ..
    '"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
