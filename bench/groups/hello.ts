// "hello": GET / -> 200 text/plain "hello world\n" over keep-alive, plugd vs node:http and
// Fastify. Target (issue): plugd/node:http >= 1.5.
import { compareThroughput, throughputRows } from "../lib/compare.ts";
import { fastifySpec, nodeHttpSpec } from "../lib/servers.ts";
import { maybeProfile, startSet, stopAll } from "./common.ts";
import { missingRow, type Context, type Group, type Row } from "./types.ts";

export const hello: Group = {
  name: "hello",
  title: "tiny response over keep-alive: plugd vs node:http and Fastify",
  async run(ctx: Context): Promise<Row[]> {
    const { opts, loader } = ctx;
    if (typeof loader === "string") {
      ctx.problem(`hello: ${loader}`);
      return [missingRow("hello", "req/s", "load generator", loader)];
    }
    const settings = { seconds: opts.duration, connections: opts.connections, pipeline: 1 };
    ctx.log(`hello: ${opts.connections} connections, warm-up ${opts.warmup} s each, ${opts.rounds} rounds x ${opts.duration} s per server`);
    const { servers, rows } = await startSet(ctx, "hello", "req/s", [nodeHttpSpec, fastifySpec]);
    if (servers.length === 0) return rows;
    try {
      const cmp = await compareThroughput(ctx, "hello", loader, servers, settings);
      const out = throughputRows("hello", cmp, "plugd", undefined).map((row) =>
        row.metric === "req/s" && row.peer === "node:http" ? { ...row, target: { op: ">=" as const, value: 1.5 } } : row,
      );
      return [...out, ...rows];
    } finally {
      await stopAll(servers);
      await maybeProfile(ctx, loader, "hello", settings);
    }
  },
};
