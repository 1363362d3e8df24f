// "pipelined": the same GET, 16 requests in flight per connection (HTTP/1.1 pipelining),
// plugd vs node:http. Target (issue): plugd/node:http >= 3.
import { compareThroughput, throughputRows } from "../lib/compare.ts";
import { nodeHttpSpec } from "../lib/servers.ts";
import { maybeProfile, startSet, stopAll } from "./common.ts";
import { missingRow, type Context, type Group, type Row } from "./types.ts";

export const pipelined: Group = {
  name: "pipelined",
  title: "tiny response, pipelined (depth 16): plugd vs node:http",
  async run(ctx: Context): Promise<Row[]> {
    const { opts, loader } = ctx;
    if (typeof loader === "string") {
      ctx.problem(`pipelined: ${loader}`);
      return [missingRow("pipelined", "req/s", "load generator", loader)];
    }
    const settings = { seconds: opts.duration, connections: opts.connections, pipeline: opts.pipelineDepth };
    ctx.log(`pipelined: ${opts.connections} connections x depth ${opts.pipelineDepth}, warm-up ${opts.warmup} s each, ${opts.rounds} rounds x ${opts.duration} s per server`);
    const { servers, rows } = await startSet(ctx, "pipelined", "req/s", [nodeHttpSpec]);
    if (servers.length === 0) return rows;
    try {
      const cmp = await compareThroughput(ctx, "pipelined", loader, servers, settings);
      const p99Label = loader.name === "wrk" ? `p99 ms (per ${opts.pipelineDepth}-request batch)` : "p99 ms (lower is better)";
      const out = throughputRows("pipelined", cmp, "plugd", { op: ">=", value: 3 }, p99Label);
      return [...out, ...rows];
    } finally {
      await stopAll(servers);
      await maybeProfile(ctx, loader, "pipelined", settings);
    }
  },
};
