// Load generators: wrk (preferred, much lighter) or autocannon, pinned to the load core.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { hasCommand, LOADER_CORE, pinned, spawnTracked, stopProcess, tail } from "./process.ts";
import { BENCH, ROOT } from "./servers.ts";

export interface LoadSettings {
  readonly seconds: number;
  readonly connections: number;
  /** Requests in flight per connection (1 = plain keep-alive). */
  readonly pipeline: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Socket errors and timeouts. */
  readonly errors: number;
  /** Responses that were not 2xx/3xx. */
  readonly badStatus: number;
}

export interface LoadGenerator {
  readonly name: string;
  describe(): string;
  run(url: string, settings: LoadSettings): Promise<LoadResult>;
}

export type LoaderChoice = "auto" | "wrk" | "autocannon";

/** The load generator to use, or an error message saying why none can run. */
export function chooseLoader(choice: LoaderChoice): LoadGenerator | string {
  const wrkOk = hasCommand("wrk");
  if (choice === "wrk" || (choice === "auto" && wrkOk)) {
    return wrkOk ? wrk : "wrk is not installed (apt-get install wrk), or use --loader autocannon";
  }
  try {
    readFileSync(join(ROOT, "node_modules/autocannon/package.json"));
  } catch {
    return "no load generator: wrk is not installed (apt-get install wrk) and neither is autocannon (npm install -D autocannon)";
  }
  return autocannonLoader;
}

const wrk: LoadGenerator = {
  name: "wrk",
  describe: () => {
    // `wrk --version` prints its version line, then the usage, and exits 1.
    const r = spawnSync("wrk", ["--version"], { encoding: "utf8" });
    const first = `${r.stdout ?? ""}${r.stderr ?? ""}`.split("\n")[0] ?? "wrk";
    return first.replace(/\s+Copyright.*$/, "").trim();
  },
  run: (url, s) => {
    const script = join(BENCH, "wrk", s.pipeline > 1 ? "pipeline.lua" : "report.lua");
    const argv = ["wrk", "-t1", `-c${s.connections}`, `-d${s.seconds}s`, "--timeout", "5s", "-s", script, `${url}/`];
    if (s.pipeline > 1) argv.push("--", String(s.pipeline));
    return runLoader(argv, s);
  },
};

const autocannonLoader: LoadGenerator = {
  name: "autocannon",
  describe: () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "node_modules/autocannon/package.json"), "utf8")) as { version: string };
    return `autocannon ${pkg.version} (in its own node process)`;
  },
  run: (url, s) => {
    const args = JSON.stringify({ url: `${url}/`, connections: s.connections, seconds: s.seconds, pipelining: s.pipeline });
    return runLoader([process.execPath, "--import", "tsx", join(BENCH, "lib/autocannon-child.ts"), args], s);
  },
};

interface BenchJson {
  requests: number;
  duration_us: number;
  p50_us: number;
  p99_us: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
}

async function runLoader(argv: string[], s: LoadSettings): Promise<LoadResult> {
  const proc = spawnTracked(pinned(LOADER_CORE, argv), ROOT);
  const timer = setTimeout(() => void stopProcess(proc, 1000), (s.seconds + 20) * 1000);
  const how = await proc.exited;
  clearTimeout(timer);
  const line = proc.stdout().split("\n").find((l) => l.startsWith("BENCH_JSON "));
  if (line === undefined) {
    throw new Error(`load generator gave no result (${how}): ${argv.join(" ")}\n${tail(proc.stderr() + proc.stdout())}`);
  }
  const j = JSON.parse(line.slice("BENCH_JSON ".length)) as BenchJson;
  const seconds = j.duration_us / 1e6;
  return {
    requests: j.requests,
    seconds,
    rps: seconds > 0 ? j.requests / seconds : 0,
    p50Ms: j.p50_us / 1000,
    p99Ms: j.p99_us / 1000,
    errors: j.connect + j.read + j.write + j.timeout,
    badStatus: j.status,
  };
}
