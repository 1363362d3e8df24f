// Runs autocannon in its own process (so it can be pinned to the load core) and prints one
// BENCH_JSON line shaped like bench/wrk/report.lua's. argv[2]: JSON {url, connections, seconds, pipelining}.
import autocannon from "autocannon";

const { url, connections, seconds, pipelining } = JSON.parse(process.argv[2] ?? "{}") as {
  url: string;
  connections: number;
  seconds: number;
  pipelining: number;
};

const result = await autocannon({ url, connections, duration: seconds, pipelining, timeout: 5 });
const line = {
  requests: result.requests.total,
  duration_us: result.duration * 1e6,
  bytes: result.throughput.total,
  p50_us: result.latency.p50 * 1000,
  p99_us: result.latency.p99 * 1000,
  max_us: result.latency.max * 1000,
  connect: 0,
  read: result.errors,
  write: 0,
  status: result.non2xx,
  timeout: result.timeouts,
};
process.stdout.write(`BENCH_JSON ${JSON.stringify(line)}\n`);
