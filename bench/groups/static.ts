// "static": GET of a 1 KiB and a 64 KiB file over keep-alive: plugd's get plugin vs nginx
// (worker_processes 1, sendfile on, access_log off) and a naive node:http static server
// (bench/static-naive.ts: stat + createReadStream per request). All serve the same temporary
// root, pinned to the server core; runs alternate per DESIGN §10.
// Two figures per pair: req/s, and requests per CPU-second of the server process (its user +
// system time over the run, from /proc): what each would serve with a core of its own, and a
// figure that holds up when other processes share the machine.
// Targets (issue): 1 KiB >= 1.0 x nginx, 64 KiB >= 0.6 x nginx, >= 8 x the naive server (1 KiB).
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compareThroughput, throughputRows } from "../lib/compare.ts";
import type { LoadGenerator } from "../lib/load.ts";
import type { RunningServer } from "../lib/servers.ts";
import { fmtInt, max, median, min } from "../lib/stats.ts";
import { checkSame, cpuTicks, startNaive, startNginx, startPlugd } from "../static-servers.ts";
import { missingRow, type Context, type Group, type Row, type Target } from "./types.ts";

const FILES = [
  { name: "1k.bin", size: 1024, label: "1 KiB", nginx: 1.0, naive: 8 },
  { name: "64k.bin", size: 64 * 1024, label: "64 KiB", nginx: 0.6, naive: undefined },
] as const;

export const staticFiles: Group = {
  name: "static",
  title: "static files (1 KiB, 64 KiB) over keep-alive: plugd get vs nginx and a naive node:http server",
  async run(ctx: Context): Promise<Row[]> {
    const { opts, loader } = ctx;
    if (typeof loader === "string") {
      ctx.problem(`static: ${loader}`);
      return [missingRow("static", "req/s", "load generator", loader)];
    }
    const dir = mkdtempSync(join(tmpdir(), "plugd-bench-static-"));
    const site = join(dir, "root");
    mkdirSync(site);
    const contents = new Map<string, Buffer>();
    for (const f of FILES) {
      const data = randomBytes(f.size);
      contents.set(f.name, data);
      writeFileSync(join(site, f.name), data);
    }
    // nginx's worker runs as "nobody": the root must be readable by it.
    chmodSync(dir, 0o755);
    chmodSync(site, 0o755);

    const rows: Row[] = [];
    const servers: RunningServer[] = [];
    try {
      servers.push(await startPlugd(dir, site));
      for (const [name, start] of [["nginx", startNginx], ["naive", startNaive]] as const) {
        try {
          const s = await start(dir, site);
          if (typeof s === "string") {
            ctx.problem(`static: ${s}`);
            rows.push(missingRow("static", "req/s", name, s));
          } else {
            servers.push(s);
          }
        } catch (err) {
          ctx.problem(`static: ${(err as Error).message}`);
          rows.push(missingRow("static", "req/s", name, "did not start (see above)", true));
        }
      }
      for (const s of servers) ctx.log(`  ${s.spec.name.padEnd(10)} pid ${s.pid} at ${s.url}: ${s.spec.describe()}`);
      for (const f of FILES) for (const s of servers) await checkSame(s, f.name, contents.get(f.name) as Buffer);

      const settings = { seconds: opts.duration, connections: opts.connections, pipeline: 1 };
      for (const f of FILES) {
        ctx.log(`static ${f.label}: ${opts.connections} connections, warm-up ${opts.warmup} s each, ${opts.rounds} rounds x ${opts.duration} s per server`);
        // The load generators request `${url}/`: a query of "/" leaves the path the file's.
        const atFile = servers.map((s) => ({ ...s, url: `${s.url}/${f.name}?` }));
        const cpu: CpuRun[] = [];
        const cmp = await compareThroughput(ctx, "static", measuringCpu(loader, atFile, cpu), atFile, settings);
        const targetFor = (peer: string): Target | undefined =>
          peer === "nginx" ? { op: ">=", value: f.nginx } : peer === "naive" && f.naive !== undefined ? { op: ">=", value: f.naive } : undefined;
        for (const row of throughputRows("static", cmp, "plugd", undefined)) {
          const target = row.metric === "req/s" ? targetFor(row.peer) : undefined;
          rows.push({ ...row, metric: `${row.metric} ${f.label}`, ...(target !== undefined ? { target } : {}) });
        }
        rows.push(...cpuRows(cpu, atFile, opts.warmup > 0, f.label, targetFor));
      }
      return rows;
    } catch (err) {
      ctx.problem(`static: ${(err as Error).message}`);
      return [...rows, { ...missingRow("static", "req/s", "-", (err as Error).message, true), plugd: "FAILED", peerValue: "-" }];
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

interface CpuRun {
  readonly server: string;
  readonly requests: number;
  readonly ticks: number;
}

/** The loader, also recording each run's requests and the server's CPU ticks over it. */
function measuringCpu(loader: LoadGenerator, servers: readonly RunningServer[], into: CpuRun[]): LoadGenerator {
  return {
    name: loader.name,
    describe: () => loader.describe(),
    run: async (url, settings) => {
      const server = servers.find((s) => s.url === url);
      const before = server === undefined ? 0 : cpuTicks(server.pid);
      const result = await loader.run(url, settings);
      if (server !== undefined) into.push({ server: server.spec.name, requests: result.requests, ticks: cpuTicks(server.pid) - before });
      return result;
    },
  };
}

/**
 * "req per CPU-s" rows: runs grouped into rounds in the order they ran (each server once per
 * round, warm-ups first and left out), the median of the per-round ratios plugd / peer.
 */
function cpuRows(runs: readonly CpuRun[], servers: readonly RunningServer[], warmedUp: boolean, label: string, targetFor: (peer: string) => Target | undefined): Row[] {
  const measured = warmedUp ? runs.slice(servers.length) : runs;
  const perServer = new Map<string, number[]>(servers.map((s) => [s.spec.name, []]));
  const ratios = new Map<string, number[]>(servers.slice(1).map((s) => [s.spec.name, []]));
  for (let i = 0; i + servers.length <= measured.length; i += servers.length) {
    const round = measured.slice(i, i + servers.length);
    if (round.some((r, k) => r.server !== servers[k]?.spec.name || r.ticks <= 0)) continue;
    // Clock ticks are 1/100 s (USER_HZ on Linux).
    const efficiency = round.map((r) => (r.requests * 100) / r.ticks);
    round.forEach((r, k) => perServer.get(r.server)?.push(efficiency[k] as number));
    for (let k = 1; k < round.length; k++) ratios.get((round[k] as CpuRun).server)?.push((efficiency[0] as number) / (efficiency[k] as number));
  }
  const mine = median(perServer.get("plugd") ?? []);
  return [...ratios].map(([peer, r]) => {
    const target = targetFor(peer);
    return {
      group: "static",
      metric: `req per CPU-s ${label}`,
      plugd: fmtInt(mine),
      peer,
      peerValue: fmtInt(median(perServer.get(peer) ?? [])),
      ratio: median(r),
      spread: [min(r), max(r)] as const,
      ...(target !== undefined ? { target } : {}),
      ...(peer === "nginx" ? { note: "server user+system CPU per request (/proc): holds up on a busy machine" } : {}),
    };
  });
}
