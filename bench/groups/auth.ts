// "auth": a small static file (the get plugin) fetched with valid Basic credentials from a
// server whose auth plugin protects it, against the same file from the same server config
// without auth, in one run (DESIGN §10: both pinned to the server core, wrk on the other,
// alternated in short rounds, median of per-round ratios). Target (issue): protected /
// unprotected >= 0.8. The users file has one bcrypt (cost 10) user: the verification cache is
// what keeps bcrypt off the per-request path, and this measures it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { hasCommand, LOADER_CORE, pinned, SERVER_CORE, spawnTracked, stopProcess, tail, waitFor, type Spawned } from "../lib/process.ts";
import { cpuSnapshot, describeNoise, isNoisy, noiseBetween, waitForQuiet } from "../lib/noise.ts";
import { BENCH, ROOT } from "../lib/servers.ts";
import { fmt, fmtInt, max, median, min } from "../lib/stats.ts";
import { missingRow, type Context, type Group, type Row } from "./types.ts";

const GROUP = "auth";
const FILE = "/small.txt";
const BODY = "x".repeat(1023) + "\n";
const USER = "bench";
const PASSWORD = "bench-password";
const AUTHORIZATION = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;

interface Started {
  readonly name: string;
  readonly url: string;
  readonly proc: Spawned;
}

interface Run {
  readonly rps: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly badStatus: number;
}

export const auth: Group = {
  name: GROUP,
  title: "1 KiB static file with valid Basic credentials (bcrypt user) vs the same file unprotected: plugd/plugd",
  async run(ctx: Context): Promise<Row[]> {
    if (!hasCommand("wrk")) {
      const why = "wrk is not installed (apt-get install wrk): this group sends an Authorization header, which only the wrk loader does here";
      ctx.problem(`${GROUP}: ${why}`);
      return [missingRow(GROUP, "req/s", "plugd unprotected", why)];
    }
    const dir = mkdtempSync(join(tmpdir(), "plugd-bench-auth-"));
    const servers: Started[] = [];
    try {
      const configs = await prepare(dir);
      for (const [name, config] of configs) servers.push(await start(name, config));
      const [open, locked] = servers as [Started, Started];
      await check(open, locked);
      ctx.log(`${GROUP}: GET ${FILE} (${BODY.length} bytes), ${ctx.opts.connections} connections, ${ctx.opts.rounds} rounds x ${ctx.opts.duration} s`);
      for (const s of servers) if (ctx.opts.warmup > 0) await load(s, ctx.opts.warmup, ctx.opts.connections);
      const ratios: number[] = [];
      const runs = new Map<string, Run[]>(servers.map((s) => [s.name, []]));
      // A round during which other processes used the CPUs is run again (lib/noise.ts), at most
      // ceil(rounds / 2) times in all; rounds still noisy after that are kept and counted.
      let retries = Math.ceil(ctx.opts.rounds / 2);
      let noisyRounds = 0;
      for (let round = 1; round <= ctx.opts.rounds; ) {
        await waitForQuiet(6000);
        const before = cpuSnapshot();
        // Odd rounds run the unprotected server first, even rounds the protected one: neither
        // always gets the machine right after the other has warmed (or heated) it.
        const order = round % 2 === 1 ? [0, 1] : [1, 0];
        const results: Run[] = [];
        for (const i of order) {
          const s = servers[i] as Started;
          const r = await load(s, ctx.opts.duration, ctx.opts.connections);
          if (r.errors > 0 || r.badStatus > 0) ctx.problem(`${GROUP} ${s.name} round ${round}: ${r.errors} socket errors and ${r.badStatus} non-2xx responses`);
          results[i] = r;
        }
        const noise = noiseBetween(before, cpuSnapshot());
        const [a, b] = results as [Run, Run];
        const line = `  round ${round}/${ctx.opts.rounds}: unprotected ${fmtInt(a.rps)}, protected ${fmtInt(b.rps)} req/s (ratio ${fmt(b.rps / a.rps)})`;
        if (isNoisy(noise) && retries > 0) {
          retries--;
          ctx.log(`${line} -- machine busy (${describeNoise(noise)}), running it again`);
          continue;
        }
        if (isNoisy(noise)) noisyRounds++;
        ratios.push(b.rps / a.rps);
        runs.get(open.name)?.push(a);
        runs.get(locked.name)?.push(b);
        ctx.log(isNoisy(noise) ? `${line} -- kept although busy (${describeNoise(noise)})` : line);
        round++;
      }
      const mine = runs.get(locked.name) ?? [];
      const theirs = runs.get(open.name) ?? [];
      return [
        {
          group: GROUP,
          metric: "req/s",
          plugd: fmtInt(median(mine.map((r) => r.rps))),
          peer: "plugd unprotected",
          peerValue: fmtInt(median(theirs.map((r) => r.rps))),
          ratio: median(ratios),
          spread: [min(ratios), max(ratios)],
          target: { op: ">=", value: 0.8 },
          ...(noisyRounds > 0 ? { noisy: true, note: `${noisyRounds} of ${ctx.opts.rounds} rounds measured while other processes used the CPUs` } : {}),
        },
        {
          group: GROUP,
          metric: "p99 ms (lower is better)",
          plugd: fmt(median(mine.map((r) => r.p99Ms))),
          peer: "plugd unprotected",
          peerValue: fmt(median(theirs.map((r) => r.p99Ms))),
          ratio: median(mine.map((r) => r.p99Ms)) / median(theirs.map((r) => r.p99Ms)),
        },
      ];
    } finally {
      await Promise.all(servers.map((s) => stopProcess(s.proc)));
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

/** The site, the users file and two configs: [name, config path], unprotected first. */
async function prepare(dir: string): Promise<[string, string][]> {
  mkdirSync(join(dir, "site"));
  writeFileSync(join(dir, "site", FILE.slice(1)), BODY);
  const hash = (await bcrypt.hash(PASSWORD, 10)).replace(/^\$2b\$/, "$2y$");
  writeFileSync(join(dir, "users.htpasswd"), `${USER}:${hash}\n`, { mode: 0o600 });
  const config = (plugins: Record<string, unknown>): string =>
    JSON.stringify({ servers: [{ name: "bench-auth", listen: ["127.0.0.1:0"], root: "./site", plugins: { get: {}, ...plugins } }] }, null, 2);
  writeFileSync(join(dir, "open.json"), config({}));
  writeFileSync(join(dir, "protected.json"), config({ auth: { users: "users.htpasswd", protect: ["/**"] } }));
  return [
    ["unprotected", join(dir, "open.json")],
    ["protected", join(dir, "protected.json")],
  ];
}

async function start(name: string, config: string): Promise<Started> {
  const argv = [process.execPath, "--import", "tsx", join(ROOT, "core/cli.ts"), "--config", config];
  const proc = spawnTracked(pinned(SERVER_CORE, argv), ROOT);
  try {
    const url = await waitFor(
      () => {
        if (proc.child.exitCode !== null) throw new Error(`plugd (${name}) exited:\n${tail(proc.stderr() + proc.stdout())}`);
        return /listening on (http:\/\/[^\s]+)/.exec(proc.stdout())?.[1];
      },
      30_000,
      `plugd (${name}) to print its address`,
    );
    return { name, url, proc };
  } catch (err) {
    await stopProcess(proc, 1000);
    throw err;
  }
}

/** Both answer the file; the protected one only with the credentials. */
async function check(open: Started, locked: Started): Promise<void> {
  const expect = async (url: string, headers: Record<string, string>, status: number, body?: string): Promise<void> => {
    const res = await fetch(url, { headers });
    const text = await res.text();
    if (res.status !== status || (body !== undefined && text !== body)) {
      throw new Error(`GET ${url} answered ${res.status} ${JSON.stringify(text.slice(0, 80))}, expected ${status}${body !== undefined ? " with the file" : ""}`);
    }
  };
  await expect(`${open.url}${FILE}`, {}, 200, BODY);
  await expect(`${locked.url}${FILE}`, {}, 401);
  await expect(`${locked.url}${FILE}`, { authorization: AUTHORIZATION }, 200, BODY);
}

/** One wrk run (pinned to the load core) with the credentials on every request. */
async function load(s: Started, seconds: number, connections: number): Promise<Run> {
  const argv = ["wrk", "-t1", `-c${connections}`, `-d${seconds}s`, "--timeout", "5s", "-s", join(BENCH, "wrk", "report.lua"), "-H", `Authorization: ${AUTHORIZATION}`, `${s.url}${FILE}`];
  const proc = spawnTracked(pinned(LOADER_CORE, argv), ROOT);
  const how = await proc.exited;
  const line = proc.stdout().split("\n").find((l) => l.startsWith("BENCH_JSON "));
  if (line === undefined) throw new Error(`wrk gave no result (${how}):\n${tail(proc.stderr() + proc.stdout())}`);
  const j = JSON.parse(line.slice("BENCH_JSON ".length)) as Record<string, number>;
  const secs = (j.duration_us ?? 0) / 1e6;
  return {
    rps: secs > 0 ? (j.requests ?? 0) / secs : 0,
    p99Ms: (j.p99_us ?? 0) / 1000,
    errors: (j.connect ?? 0) + (j.read ?? 0) + (j.write ?? 0) + (j.timeout ?? 0),
    badStatus: j.status ?? 0,
  };
}
