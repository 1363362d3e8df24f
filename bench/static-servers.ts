// The servers of the "static" bench group (bench/groups/static.ts), each pinned to the server
// core and serving the same temporary root: plugd (the CLI with the get plugin), nginx
// (worker_processes 1, sendfile on, access_log off) and the naive node:http server
// (bench/static-naive.ts). Also: each one's CPU time, and a check that all serve the same bytes.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { hasCommand, pinned, SERVER_CORE, spawnTracked, stopProcess, tail } from "./lib/process.ts";
import { BENCH, ROOT, type RunningServer, type ServerSpec } from "./lib/servers.ts";
import { nginxConfig } from "./lib/nginx.ts";
import { childrenOf, ticksOf } from "./lib/proc.ts";
import { canConnect, freePort } from "./lib/sockets.ts";
import { sleep } from "./lib/stats.ts";

const URL_PATTERN = /http:\/\/(127\.0\.0\.1):(\d+)/;

function spec(name: string, argv: string[], describe: string): ServerSpec {
  return { name, missing: () => undefined, argv: () => argv, describe: () => describe };
}

/** Spawns `argv` pinned to the server core and waits for `ready` to give its URL. */
async function launch(s: ServerSpec, ready: (stdout: () => string) => Promise<string | undefined>): Promise<RunningServer> {
  const argv = s.argv({});
  const proc = spawnTracked(pinned(SERVER_CORE, argv), ROOT);
  let exited: string | undefined;
  void proc.exited.then((how) => (exited = how));
  try {
    let url: string | undefined;
    const deadline = Date.now() + 30_000;
    while (url === undefined) {
      if (exited !== undefined) throw new Error(`it exited (${exited})`);
      if (Date.now() > deadline) throw new Error("it did not become ready within 30 s");
      url = await ready(proc.stdout);
      if (url === undefined) await sleep(50);
    }
    return { spec: s, url, pid: proc.pid, proc, stop: () => stopProcess(proc) };
  } catch (err) {
    await stopProcess(proc, 1000);
    throw new Error(`${s.name} did not start: ${(err as Error).message}\n    command: ${argv.join(" ")}\n${tail(proc.stderr() || proc.stdout())}`);
  }
}

const printedUrl = (stdout: () => string): Promise<string | undefined> => {
  const m = URL_PATTERN.exec(stdout());
  return Promise.resolve(m === null ? undefined : `http://${m[1]}:${m[2]}`);
};

export function startPlugd(dir: string, site: string): Promise<RunningServer> {
  const config = join(dir, "static.config.json");
  writeFileSync(config, JSON.stringify({ servers: [{ name: "static", listen: ["127.0.0.1:0"], root: site, plugins: { get: {} } }] }, null, 2));
  const argv = [process.execPath, "--import", "tsx", join(ROOT, "core/cli.ts"), "--config", config];
  return launch(spec("plugd", argv, "core/cli.ts with the get plugin (default options: small-file cache on)"), printedUrl);
}

export function startNaive(_dir: string, site: string): Promise<RunningServer> {
  const argv = [process.execPath, "--import", "tsx", join(BENCH, "static-naive.ts"), site];
  return launch(spec("naive", argv, `bench/static-naive.ts: node:http, stat + createReadStream per request (node ${process.version})`), printedUrl);
}

export async function startNginx(dir: string, site: string): Promise<RunningServer | string> {
  if (!hasCommand("nginx")) return "nginx is not installed: apt-get install -y nginx-light (or nginx)";
  const port = await freePort();
  const temp = join(dir, "nginx");
  mkdirSync(temp);
  const conf = join(temp, "nginx.conf");
  writeFileSync(conf, nginxConfig(temp, ["sendfile on;", "default_type application/octet-stream;", `server { listen 127.0.0.1:${port}; root ${site}; }`]));
  const version = spawnSync("nginx", ["-v"], { encoding: "utf8" }).stderr.trim();
  const argv = ["nginx", "-c", conf, "-p", temp];
  const url = `http://127.0.0.1:${port}`;
  return launch(spec("nginx", argv, `${version}: worker_processes 1, sendfile on, access_log off, keepalive_requests 1000000`), async () => ((await canConnect({ port, host: "127.0.0.1" })) ? url : undefined));
}

/** Every server must answer GET /name with 200 and exactly the file's bytes. */
export async function checkSame(s: RunningServer, name: string, expected: Buffer): Promise<void> {
  const got = await new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
    const req = http.get(`${s.url}/${name}?/`, { agent: false, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
  if (got.status !== 200 || !got.body.equals(expected)) {
    throw new Error(`${s.spec.name} answers GET /${name}?/ wrongly: status ${got.status}, ${got.body.length} bytes (want 200, ${expected.length} identical bytes)`);
  }
}

/**
 * CPU time (user + system, in clock ticks) a server has used: the process and, for nginx, its
 * worker processes. Requests per CPU-second is what a server would serve on a core of its own,
 * and it holds up on a shared machine where req/s does not.
 */
export function cpuTicks(pid: number): number {
  return ticksOf([pid, ...childrenOf(pid)]);
}
