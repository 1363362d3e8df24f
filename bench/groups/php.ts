// "php": the PHP gateway against nginx, same one-line script (hello.php), same run, the HTTP
// servers pinned to the server core, the load generator to the other (DESIGN §10):
//   (a) plugd mode "fastcgi" -> a php-fpm pool (pm=static, 4 workers)  vs  nginx -> the same
//       pool. The pool is not pinned: the system places its workers, the same for both.
//   (b) plugd's own pool of 4 php-cgi -b children  vs  nginx -> an equal php-cgi -b pool (one
//       php-cgi -b with PHP_FCGI_CHILDREN=4). plugd's children inherit its pinning, so nginx's
//       pool is pinned to the server core too: each server shares its core with its PHP.
//   (c) plugd mode "cgi" (a php-cgi process per request, pinned with plugd), reported alone.
// Targets (issue): (a) and (b) >= 0.9 x nginx. Rounds alternate the servers (DESIGN §10).
// Both servers keep FastCGI connections (nginx: upstream keepalive + fastcgi_keep_conn), and a
// kept connection holds a php-fpm worker: in (a) each run starts after the other server's idle
// connections were closed (both close them after 1 s idle). Noise is judged with the servers'
// descendants (nginx and php-fpm workers, php-cgi children) counted as ours, not as others'.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LoadGenerator, LoadResult, LoadSettings } from "../lib/load.ts";
import { cpuSnapshot, describeNoise, isNoisy, noiseBetween, type CpuSnapshot } from "../lib/noise.ts";
import { hasCommand, pinned, SERVER_CORE, spawnTracked, stopProcess, tail, type Spawned } from "../lib/process.ts";
import { nginxConfig } from "../lib/nginx.ts";
import { childrenOf, descendants, processTicks, ticksOf } from "../lib/proc.ts";
import { canConnect, freePort } from "../lib/sockets.ts";
import { ROOT } from "../lib/servers.ts";
import { fmt, fmtInt, max, median, min, sleep } from "../lib/stats.ts";
import { missingRow, type Context, type Group, type Row } from "./types.ts";

const SCRIPT = "<?php echo \"hello world\\n\";\n";
const WORKERS = 4;
/** Idle kept FastCGI connections are closed after this long by both servers. */
const IDLE_MS = 1000;
/** Pause before a run against a shared pool: the other server's idle connections are closed by then. */
const SETTLE_MS = IDLE_MS + 600;

interface Proc {
  readonly name: string;
  readonly proc: Spawned;
  readonly url: string;
  readonly describe: string;
}

export const php: Group = {
  name: "php",
  title: "PHP hello.php: plugd FastCGI vs nginx on the same php-fpm pool and on equal php-cgi -b pools; CGI mode",
  async run(ctx: Context): Promise<Row[]> {
    const { opts, loader } = ctx;
    if (typeof loader === "string") {
      ctx.problem(`php: ${loader}`);
      return [missingRow("php", "req/s", "load generator", loader)];
    }
    for (const [command, pkg] of [["php-cgi", "php-cgi"], ["php-fpm8.2", "php-fpm"], ["nginx", "nginx-light"]]) {
      if (!hasCommand(command as string)) {
        const why = `${command} is not installed: apt-get install -y ${pkg}`;
        ctx.problem(`php: ${why}`);
        return [missingRow("php", "req/s", command as string, why)];
      }
    }
    const dir = mkdtempSync(join(tmpdir(), "plugd-bench-php-"));
    const root = join(dir, "root");
    mkdirSync(root);
    writeFileSync(join(root, "hello.php"), SCRIPT);
    const started: Spawned[] = [];
    const keep = (p: Proc): Proc => (started.push(p.proc), p);
    const settings: LoadSettings = { seconds: opts.duration, connections: opts.connections, pipeline: 1 };
    const rows: Row[] = [];
    try {
      // (a) the same php-fpm pool behind both.
      const fpm = keep(await startFpm(join(dir, "fpm")));
      const a = [keep(await startPlugd(dir, "fpm", { mode: "fastcgi", address: socketOf(fpm), concurrency: WORKERS, idleTimeoutMs: IDLE_MS })), keep(await startNginx(join(dir, "nginx-fpm"), root, socketOf(fpm)))];
      ctx.log(`php (a): ${fpm.describe}; ${opts.connections} connections, ${opts.rounds} rounds x ${opts.duration} s, ${SETTLE_MS} ms between runs`);
      rows.push(...(await compare(ctx, loader, "php-fpm", a, [fpm], settings, SETTLE_MS)));
      await Promise.all([fpm, ...a].map((p) => stopProcess(p.proc)));

      // (b) plugd's own pool vs nginx with an equal php-cgi -b pool.
      const pool = keep(await startPhpCgiPool(join(dir, "php-cgi-pool")));
      const b = [keep(await startPlugd(dir, "pool", { mode: "fastcgi", children: WORKERS })), keep(await startNginx(join(dir, "nginx-pool"), root, socketOf(pool)))];
      ctx.log(`php (b): plugd's own ${WORKERS} php-cgi -b children vs ${pool.describe}`);
      rows.push(...(await compare(ctx, loader, "php-cgi -b", b, [pool], settings, 0)));
      await Promise.all([pool, ...b].map((p) => stopProcess(p.proc)));

      // (c) CGI: a process per request.
      const cgi = keep(await startPlugd(dir, "cgi", { mode: "cgi", concurrency: WORKERS }));
      ctx.log(`php (c): plugd mode "cgi", concurrency ${WORKERS}`);
      const runs: LoadResult[] = [];
      for (let i = 0; i < Math.max(1, opts.rounds); i++) runs.push(await loader.run(`${cgi.url}/hello.php?`, settings));
      rows.push({ group: "php", metric: "req/s cgi", plugd: fmtInt(median(runs.map((r) => r.rps))), peer: "-", peerValue: "-", note: "php-cgi spawned per request: bound by process start-up" });
      await stopProcess(cgi.proc);
      return rows;
    } catch (err) {
      ctx.problem(`php: ${(err as Error).message}`);
      return [...rows, { ...missingRow("php", "req/s", "-", (err as Error).message.split("\n")[0] as string, true), plugd: "FAILED", peerValue: "-" }];
    } finally {
      await Promise.all(started.map((p) => stopProcess(p, 2000)));
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

/**
 * Warm-up, then rounds alternating [plugd, nginx]; ratios are medians of per-round plugd/nginx.
 * `pools`: the PHP pools started beside the servers, whose workers are not a sign of noise.
 */
async function compare(ctx: Context, loader: LoadGenerator, label: string, servers: Proc[], pools: Proc[], settings: LoadSettings, settleMs: number): Promise<Row[]> {
  const { warmup, rounds } = ctx.opts;
  const url = (s: Proc): string => `${s.url}/hello.php?`;
  for (const s of servers) {
    await sleep(settleMs);
    if (warmup > 0) await loader.run(url(s), { ...settings, seconds: warmup });
  }
  const results = new Map<string, LoadResult[]>(servers.map((s) => [s.name, []]));
  const cpu = new Map<string, number[]>(servers.map((s) => [s.name, []]));
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  let noisy = 0;
  for (let round = 1; round <= rounds; round++) {
    const got: LoadResult[] = [];
    const perRequest: number[] = [];
    const notes: string[] = [];
    for (const s of servers) {
      await sleep(settleMs);
      const pids = serverPids(s);
      const ticks0 = ticksOf(pids);
      const before = withDescendants(cpuSnapshot(), [...servers, ...pools]);
      const r = await loader.run(url(s), settings);
      const noise = noiseBetween(before, withDescendants(cpuSnapshot(), [...servers, ...pools]));
      const ticks = ticksOf(pids) - ticks0;
      if (r.errors > 0 || r.badStatus > 0) ctx.problem(`php ${label}: ${s.name}: ${r.errors} errors and ${r.badStatus} non-2xx of ${r.requests}`);
      if (isNoisy(noise)) notes.push(`${s.name}: ${describeNoise(noise)}`);
      got.push(r);
      // Clock ticks are 1/100 s: microseconds of the server's own CPU (not PHP's) per request.
      perRequest.push(r.requests > 0 ? (ticks * 10_000) / r.requests : NaN);
      results.get(s.name)?.push(r);
      cpu.get(s.name)?.push(perRequest[perRequest.length - 1] as number);
    }
    if (notes.length > 0) noisy++;
    ratios.push((got[0] as LoadResult).rps / (got[1] as LoadResult).rps);
    cpuRatios.push((perRequest[0] as number) / (perRequest[1] as number));
    ctx.log(`  round ${round}: ${servers.map((s, i) => `${s.name} ${fmtInt((got[i] as LoadResult).rps)} req/s (${fmt(perRequest[i] as number, 0)} µs CPU/req)`).join(", ")}${notes.length > 0 ? ` -- NOISY (${notes.join("; ")})` : ""}`);
  }
  if (noisy > 0) ctx.log(`  php ${label}: ${noisy} of ${rounds} rounds measured while other processes used the CPUs`);
  const [mine, theirs] = servers.map((s) => results.get(s.name) ?? []) as [LoadResult[], LoadResult[]];
  const peer = servers[1] as Proc;
  return [
    {
      group: "php",
      metric: `req/s ${label}`,
      plugd: fmtInt(median(mine.map((r) => r.rps))),
      peer: peer.name,
      peerValue: fmtInt(median(theirs.map((r) => r.rps))),
      ratio: median(ratios),
      spread: [min(ratios), max(ratios)],
      target: { op: ">=", value: 0.9 },
      ...(noisy > 0 ? { noisy: true, note: `${noisy} round(s) measured while other processes used the CPUs` } : {}),
    },
    {
      group: "php",
      metric: `p99 ms ${label}`,
      plugd: fmt(median(mine.map((r) => r.p99Ms))),
      peer: peer.name,
      peerValue: fmt(median(theirs.map((r) => r.p99Ms))),
      ratio: median(mine.map((r) => r.p99Ms)) / median(theirs.map((r) => r.p99Ms)),
    },
    {
      group: "php",
      metric: `server µs CPU/req ${label}`,
      plugd: fmt(median(cpu.get(servers[0]!.name) ?? []), 0),
      peer: peer.name,
      peerValue: fmt(median(cpu.get(peer.name) ?? []), 0),
      ratio: median(cpuRatios),
      note: "the server's own user+system CPU per request, PHP's left out (lower is better)",
    },
  ];
}

// --- the processes ---------------------------------------------------------------------------

function socketOf(p: Proc): string {
  return p.url.slice("unix:".length);
}

async function startFpm(dir: string): Promise<Proc> {
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, "fpm.sock");
  const asRoot = process.getuid?.() === 0;
  const conf = join(dir, "php-fpm.conf");
  writeFileSync(
    conf,
    [
      "[global]",
      `pid = ${join(dir, "fpm.pid")}`,
      `error_log = ${join(dir, "fpm.log")}`,
      "daemonize = no",
      "[www]",
      ...(asRoot ? ["user = root", "group = root"] : []),
      `listen = ${socket}`,
      "pm = static",
      `pm.max_children = ${WORKERS}`,
      "clear_env = yes",
    ].join("\n") + "\n",
  );
  const argv = ["php-fpm8.2", "-F", ...(asRoot ? ["-R"] : []), "-y", conf, "-p", dir];
  const version = spawnSync("php-fpm8.2", ["-v"], { encoding: "utf8" }).stdout.split("\n")[0] ?? "php-fpm8.2";
  return launch("php-fpm", argv, {}, `${version}: pm=static, ${WORKERS} workers, unix socket, not pinned`, socket, false);
}

async function startPhpCgiPool(dir: string): Promise<Proc> {
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, "php-cgi.sock");
  return launch("php-cgi -b", ["php-cgi", "-b", socket], { PHP_FCGI_CHILDREN: String(WORKERS), PHP_FCGI_MAX_REQUESTS: "0" }, `php-cgi -b with PHP_FCGI_CHILDREN=${WORKERS} (${WORKERS} workers, one socket), pinned to the server core`, socket, true);
}

async function startNginx(dir: string, root: string, socket: string): Promise<Proc> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const conf = join(dir, "nginx.conf");
  // The PHP sockets belong to root (php-fpm runs as root here): nginx's worker too.
  writeFileSync(
    conf,
    nginxConfig(
      dir,
      [
        `upstream php { server unix:${socket}; keepalive ${WORKERS}; keepalive_timeout ${IDLE_MS / 1000}s; }`,
        `server { listen 127.0.0.1:${port}; root ${root};`,
        "  location ~ \\.php$ { include /etc/nginx/fastcgi_params; fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name; fastcgi_keep_conn on; fastcgi_pass php; }",
        "}",
      ],
      { runAsRoot: process.getuid?.() === 0 },
    ),
  );
  const version = spawnSync("nginx", ["-v"], { encoding: "utf8" }).stderr.trim();
  const proc = spawnTracked(pinned(SERVER_CORE, ["nginx", "-c", conf, "-p", dir]), ROOT);
  const url = `http://127.0.0.1:${port}`;
  await ready(proc, "nginx", () => canConnect({ port, host: "127.0.0.1" }));
  const p = { name: "nginx", proc, url, describe: `${version}: worker_processes 1, upstream keepalive ${WORKERS}, fastcgi_keep_conn on` };
  await checkHello(p);
  return p;
}

async function startPlugd(dir: string, name: string, options: Record<string, unknown>): Promise<Proc> {
  const config = join(dir, `plugd-${name}.config.json`);
  writeFileSync(config, JSON.stringify({ servers: [{ name: `php-${name}`, listen: ["127.0.0.1:0"], root: join(dir, "root"), plugins: { "php-cgi": options } }] }, null, 2));
  const proc = spawnTracked(pinned(SERVER_CORE, [process.execPath, "--import", "tsx", join(ROOT, "core/cli.ts"), "--config", config]), ROOT);
  let url = "";
  await ready(proc, "plugd", async () => {
    const m = /http:\/\/127\.0\.0\.1:\d+/.exec(proc.stdout());
    if (m !== null) url = m[0];
    return m !== null;
  });
  const p = { name: "plugd", proc, url, describe: `core/cli.ts, php-cgi ${JSON.stringify(options)}` };
  await checkHello(p);
  return p;
}

async function launch(name: string, argv: string[], env: Record<string, string>, describe: string, socket: string, pin: boolean): Promise<Proc> {
  // spawnTracked passes plugd's environment on; the PHP pool's own variables are set through env(1).
  const full = Object.keys(env).length > 0 ? ["env", ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv] : argv;
  const proc = spawnTracked(pin ? pinned(SERVER_CORE, full) : full, ROOT);
  await ready(proc, name, () => canConnect({ path: socket }));
  return { name, proc, url: `unix:${socket}`, describe };
}

async function ready(proc: Spawned, name: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`${name} exited:\n${tail(proc.stderr() || proc.stdout())}`);
    if (Date.now() > deadline) throw new Error(`${name} did not become ready within 30 s:\n${tail(proc.stderr())}`);
    await sleep(50);
  }
}

function checkHello(p: Proc): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${p.url}/hello.php`, { agent: false, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (s: string) => (body += s));
      res.on("end", () => (res.statusCode === 200 && body === "hello world\n" ? resolve() : reject(new Error(`${p.name} answers GET /hello.php with ${res.statusCode} ${JSON.stringify(body.slice(0, 100))}`))));
    });
    req.on("timeout", () => req.destroy(new Error(`${p.name}: GET /hello.php timed out`)));
    req.on("error", reject);
  });
}

// --- CPU accounting ---------------------------------------------------------------------------

/** The processes that are the server itself: plugd's process, nginx's master and worker (not PHP). */
function serverPids(p: Proc): number[] {
  if (p.name === "nginx") return [p.proc.pid, ...childrenOf(p.proc.pid)];
  return [p.proc.pid];
}


/** A snapshot in which the servers' descendants (PHP workers, nginx's worker) count as the bench's. */
function withDescendants(snapshot: CpuSnapshot | undefined, servers: readonly Proc[]): CpuSnapshot | undefined {
  if (snapshot === undefined) return undefined;
  const ours = new Map(snapshot.ours);
  for (const s of servers) {
    for (const pid of descendants(s.proc.pid)) {
      const ticks = processTicks(pid);
      if (ticks !== undefined) ours.set(pid, ticks);
    }
  }
  return { ...snapshot, ours };
}
