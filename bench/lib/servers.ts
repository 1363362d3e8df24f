// The servers the bench compares: how to start each (pinned to core 0), how to tell it is
// up, and a check that every one answers GET / with the very same body and content type.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pinned, SERVER_CORE, spawnTracked, stopProcess, tail, tempDir, waitFor, withNofile, type Spawned } from "./process.ts";
import { sleep } from "./stats.ts";

export const ROOT = resolve(import.meta.dirname, "../..");
export const BENCH = resolve(ROOT, "bench");
export const HELLO_BODY = "hello world\n";
export const HELLO_TYPE = "text/plain; charset=utf-8";

/** Per-run settings a group may ask of a server. */
export interface ServerVariant {
  /** Idle keep-alive timeout (the memory group holds connections open). */
  keepAliveMs?: number;
  /** plugd's limits.maxConnections. */
  maxConnections?: number;
  /** Open files the server must be allowed. */
  nofile?: number;
  /** Write a V8 CPU profile here when the process exits (node --cpu-prof). */
  cpuProfDir?: string;
}

export interface ServerSpec {
  /** Short id used in tables: "plugd", "node:http", "fastify". */
  readonly name: string;
  /** Why it cannot run on this machine, with what to do about it; undefined when it can. */
  missing(): string | undefined;
  /** The full command (before pinning). */
  argv(variant: ServerVariant): string[];
  /** How it was started, for the report. */
  describe(): string;
}

function nodeArgv(script: string, args: string[], variant: ServerVariant): string[] {
  const prof = variant.cpuProfDir !== undefined ? ["--cpu-prof", "--cpu-prof-interval", "500", "--cpu-prof-dir", variant.cpuProfDir] : [];
  return [process.execPath, "--import", "tsx", ...prof, script, ...args];
}

function keepAliveArgs(variant: ServerVariant): string[] {
  return variant.keepAliveMs !== undefined ? ["--keep-alive-ms", String(variant.keepAliveMs)] : [];
}

function resolvable(pkg: string): boolean {
  try {
    createRequire(join(ROOT, "package.json")).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

export type PlugdMode = "auto" | "cli" | "launcher";

/** plugd: the CLI with bench/hello.config.json (proves `module` loading), or the launcher. */
export function plugdSpec(mode: PlugdMode): ServerSpec {
  const cli = join(ROOT, "core/cli.ts");
  const useCli = mode === "cli" || (mode === "auto" && existsSync(cli));
  return {
    name: "plugd",
    missing: () => {
      if (!existsSync(join(ROOT, "core/http/parser.ts"))) return "core/http/parser.ts does not exist yet: plugd cannot serve";
      if (useCli && !existsSync(cli)) return "core/cli.ts does not exist (use --plugd launcher)";
      return undefined;
    },
    argv: (variant) => {
      if (!useCli) {
        const limits = [
          ...keepAliveArgs(variant),
          ...(variant.maxConnections !== undefined ? ["--max-connections", String(variant.maxConnections)] : []),
        ];
        return nodeArgv(join(BENCH, "plugd-launcher.ts"), limits, variant);
      }
      return nodeArgv(cli, ["--config", plugdConfig(variant)], variant);
    },
    describe: () => (useCli ? "core/cli.ts --config bench/hello.config.json" : "bench/plugd-launcher.ts (createServer + hello plugin)"),
  };
}

/** bench/hello.config.json, or a copy in a temp folder with the limits a variant asks for. */
function plugdConfig(variant: ServerVariant): string {
  const file = join(BENCH, "hello.config.json");
  if (variant.keepAliveMs === undefined && variant.maxConnections === undefined) return file;
  const config = JSON.parse(readFileSync(file, "utf8")) as { $schema?: string; servers: Array<Record<string, unknown>> };
  delete config.$schema;
  for (const server of config.servers) {
    server.root = resolve(BENCH, String(server.root));
    const plugins = server.plugins as Record<string, { module?: string }>;
    for (const entry of Object.values(plugins)) {
      if (typeof entry === "object" && entry.module !== undefined) entry.module = resolve(BENCH, entry.module);
    }
    server.limits = {
      ...(server.limits as object | undefined),
      ...(variant.keepAliveMs !== undefined ? { keepAliveTimeoutMs: variant.keepAliveMs } : {}),
      ...(variant.maxConnections !== undefined ? { maxConnections: variant.maxConnections } : {}),
    };
  }
  const out = join(tempDir("plugd-bench-"), "hello.config.json");
  writeFileSync(out, JSON.stringify(config, null, 2));
  return out;
}

export const nodeHttpSpec: ServerSpec = {
  name: "node:http",
  missing: () => undefined,
  argv: (variant) => nodeArgv(join(BENCH, "peers/node-http.ts"), keepAliveArgs(variant), variant),
  describe: () => `bench/peers/node-http.ts (node ${process.version})`,
};

export const fastifySpec: ServerSpec = {
  name: "fastify",
  missing: () => (resolvable("fastify") ? undefined : "the fastify package is not installed: run `npm install -D fastify`"),
  argv: (variant) => nodeArgv(join(BENCH, "peers/fastify.ts"), keepAliveArgs(variant), variant),
  describe: () => {
    try {
      const pkg = JSON.parse(readFileSync(join(ROOT, "node_modules/fastify/package.json"), "utf8")) as { version: string };
      return `bench/peers/fastify.ts (fastify ${pkg.version})`;
    } catch {
      return "bench/peers/fastify.ts";
    }
  },
};

export interface RunningServer {
  readonly spec: ServerSpec;
  readonly url: string;
  readonly pid: number;
  readonly proc: Spawned;
  stop(): Promise<string>;
}

const URL_PATTERN = /http:\/\/(\[[0-9a-fA-F:.]+\]|[^\s/:]+):(\d+)/;

/** Starts a server pinned to the server core, waits for its address and checks its answer. */
export async function startServer(spec: ServerSpec, variant: ServerVariant = {}): Promise<RunningServer> {
  let argv = spec.argv(variant);
  if (variant.nofile !== undefined) argv = withNofile(variant.nofile, argv);
  const proc = spawnTracked(pinned(SERVER_CORE, argv), ROOT);
  let exited: string | undefined;
  void proc.exited.then((how) => (exited = how));
  const fail = (why: string): Error => new Error(`${spec.name} did not start: ${why}\n    command: ${argv.join(" ")}\n${tail(proc.stderr() || proc.stdout())}`);
  let url: string;
  try {
    url = await waitFor(
      () => {
        if (exited !== undefined) throw fail(`it exited (${exited})`);
        const m = URL_PATTERN.exec(proc.stdout());
        return m === null ? undefined : `http://${m[1]}:${m[2]}`;
      },
      30_000,
      `${spec.name} to print its address`,
    );
    await checkHello(url, spec.name);
  } catch (err) {
    await stopProcess(proc, 1000);
    throw (err as Error).message.includes("did not start") ? err : fail((err as Error).message);
  }
  return { spec, url, pid: proc.pid, proc, stop: () => stopProcess(proc) };
}

/** GET / must be 200, Content-Type text/plain; charset=utf-8, Content-Length 12, body "hello world\n". Retries briefly. */
async function checkHello(url: string, name: string): Promise<void> {
  let last = "";
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const res = await get(url);
      const problems: string[] = [];
      if (res.status !== 200) problems.push(`status ${res.status}`);
      if (res.type !== HELLO_TYPE) problems.push(`content-type ${JSON.stringify(res.type)} (want ${JSON.stringify(HELLO_TYPE)})`);
      if (res.length !== String(Buffer.byteLength(HELLO_BODY))) problems.push(`content-length ${JSON.stringify(res.length)} (want the same framing as plugd: Content-Length ${Buffer.byteLength(HELLO_BODY)})`);
      if (res.body !== HELLO_BODY) problems.push(`body ${JSON.stringify(res.body.slice(0, 80))} (want ${JSON.stringify(HELLO_BODY)})`);
      if (problems.length === 0) return;
      throw new Error(`${name} answers GET / wrongly: ${problems.join(", ")}`);
    } catch (err) {
      last = (err as Error).message;
      if (last.includes("answers GET / wrongly")) throw err;
      await sleep(250);
    }
  }
  throw new Error(`${name} printed ${url} but GET / failed: ${last}`);
}

function get(url: string): Promise<{ status: number; type: string | undefined; length: string | undefined; body: string }> {
  return new Promise((resolveGet, reject) => {
    const req = http.get(url, { agent: false, timeout: 3000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (s: string) => (body += s));
      res.on("end", () => resolveGet({ status: res.statusCode ?? 0, type: res.headers["content-type"], length: res.headers["content-length"], body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}
