// "memory": resident memory per idle keep-alive connection at 10,000 connections, plugd vs
// node:http. Each measurement uses a fresh server: warm it up briefly, read its RSS, open the
// connections (one request each, then idle), let it settle, read its RSS again; the
// difference over the number of connections. Target (issue): plugd <= 0.6 x node:http.
import { ensureOwnNofile, rssKiB } from "../lib/process.ts";
import { openIdleConnections } from "../lib/idle-conns.ts";
import { nodeHttpSpec, startServer, type ServerSpec } from "../lib/servers.ts";
import { fmt, fmtInt, max, median, min, sleep } from "../lib/stats.ts";
import { missingRow, type Context, type Group, type Row } from "./types.ts";

const KEEP_ALIVE_MS = 600_000;
const SETTLE_MS = 3000;

interface Sample {
  before: number;
  after: number;
  perConn: number;
}

export const memory: Group = {
  name: "memory",
  title: "RSS per idle keep-alive connection at 10,000 connections: plugd vs node:http",
  async run(ctx: Context): Promise<Row[]> {
    const { opts } = ctx;
    const count = opts.memoryConnections;
    const metric = "KiB / idle conn";
    const plugdMissing = ctx.plugd.missing();
    if (plugdMissing !== undefined) {
      ctx.problem(`memory: plugd cannot run: ${plugdMissing}`);
      return [{ ...missingRow("memory", metric, "node:http", plugdMissing), plugd: "MISSING", peerValue: "-" }];
    }
    const limitProblem = ensureOwnNofile(count + 1000);
    if (limitProblem !== undefined) {
      ctx.problem(`memory: ${limitProblem}`);
      return [missingRow("memory", metric, "node:http", limitProblem, true)];
    }
    ctx.log(`memory: ${fmtInt(count)} idle keep-alive connections, ${opts.memoryRounds} fresh-server measurement(s) per server, alternating`);
    const samples = new Map<string, Sample[]>([["plugd", []], ["node:http", []]]);
    const ratios: number[] = [];
    for (let round = 1; round <= opts.memoryRounds; round++) {
      const pair: number[] = [];
      for (const spec of [ctx.plugd, nodeHttpSpec]) {
        const s = await measure(ctx, spec, count);
        samples.get(spec.name)?.push(s);
        pair.push(s.perConn);
        ctx.log(`  round ${round}: ${spec.name.padEnd(9)} RSS ${fmtInt(s.before)} -> ${fmtInt(s.after)} KiB: ${fmt(s.perConn)} KiB per connection`);
      }
      ratios.push((pair[0] as number) / (pair[1] as number));
    }
    const mine = median((samples.get("plugd") ?? []).map((s) => s.perConn));
    const theirs = median((samples.get("node:http") ?? []).map((s) => s.perConn));
    return [
      {
        group: "memory",
        metric,
        plugd: fmt(mine),
        peer: "node:http",
        peerValue: fmt(theirs),
        ratio: median(ratios),
        spread: [min(ratios), max(ratios)],
        target: { op: "<=", value: 0.6 },
        note: `${fmtInt(count)} connections, VmRSS delta`,
      },
    ];
  },
};

async function measure(ctx: Context, spec: ServerSpec, count: number): Promise<Sample> {
  const server = await startServer(spec, { keepAliveMs: KEEP_ALIVE_MS, maxConnections: count + 1000, nofile: count + 1000 });
  let conns: Awaited<ReturnType<typeof openIdleConnections>> | undefined;
  try {
    // Warm-up: a few hundred requests on short-lived connections, so the first request's
    // one-time costs (JIT, lazy modules) are in the baseline rather than in the delta.
    const warm = await openIdleConnections(server.url, 200, 50);
    warm.destroy();
    if (warm.failed > 0) ctx.problem(`memory: ${spec.name}: ${warm.failed} of 200 warm-up requests failed (${warm.firstError ?? "?"})`);
    await sleep(1000);
    const before = rssKiB(server.pid);
    conns = await openIdleConnections(server.url, count);
    if (conns.failed > 0) ctx.problem(`memory: ${spec.name}: ${conns.failed} of ${count} connections failed (${conns.firstError ?? "?"})`);
    await sleep(SETTLE_MS);
    const after = rssKiB(server.pid);
    const closed = conns.closedSince();
    if (closed > 0) ctx.problem(`memory: ${spec.name} closed ${closed} idle connections during the measurement`);
    const open = conns.opened - closed;
    return { before, after, perConn: open > 0 ? (after - before) / open : Number.NaN };
  } finally {
    // Stop the server first so that it closes the connections: the TIME_WAIT states then sit
    // on its port, not on this process's ephemeral ports (40,000 per run would exhaust them).
    await server.stop();
    conns?.destroy();
  }
}
