// "log": the hello benchmark with the log plugin on (Combined access log to a file) against the
// same server with it off, both through the CLI, measured in one run. Target (issue): with
// logging >= 0.9x without. The access log's line count is checked against the requests made,
// so a logger that kept up by dropping lines cannot pass unnoticed.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compareThroughput, throughputRows } from "../lib/compare.ts";
import { startServer, BENCH, ROOT, type RunningServer, type ServerSpec, type ServerVariant } from "../lib/servers.ts";
import { stopAll } from "./common.ts";
import { missingRow, type Context, type Group, type Row } from "./types.ts";

/** A plugd spec: the CLI on a config with the hello plugin, plus the log plugin when `logDir` is given. */
function cliSpec(name: string, folder: string, logDir: string | undefined): ServerSpec {
  const config = join(folder, `${name.replace(/[^a-z]/g, "-")}.config.json`);
  const plugins: Record<string, unknown> = { hello: { module: join(BENCH, "hello-plugin.ts") } };
  if (logDir !== undefined) plugins.log = { dir: logDir };
  writeFileSync(config, JSON.stringify({ servers: [{ name: "hello", listen: ["127.0.0.1:0"], root: BENCH, plugins }] }, null, 2));
  return {
    name,
    missing: () => (existsSync(join(ROOT, "plugins/log/index.ts")) ? undefined : "plugins/log/index.ts does not exist"),
    argv: (_variant: ServerVariant) => [process.execPath, "--import", "tsx", join(ROOT, "core/cli.ts"), "--config", config],
    describe: () => `core/cli.ts, hello plugin${logDir !== undefined ? ` + log (combined, ${logDir})` : ""}`,
  };
}

function countLines(file: string): number {
  if (!existsSync(file)) return 0;
  const text = readFileSync(file, "latin1");
  let n = 0;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

export const log: Group = {
  name: "log",
  title: "tiny response over keep-alive: plugd with the log plugin vs without",
  async run(ctx: Context): Promise<Row[]> {
    const { opts, loader } = ctx;
    if (typeof loader === "string") {
      ctx.problem(`log: ${loader}`);
      return [missingRow("log", "req/s", "load generator", loader)];
    }
    const folder = mkdtempSync(join(tmpdir(), "plugd-bench-log-"));
    const logDir = join(folder, "logs");
    const on = cliSpec("plugd+log", folder, logDir);
    const off = cliSpec("plugd", folder, undefined);
    const why = on.missing();
    if (why !== undefined) {
      ctx.problem(`log: ${why}`);
      rmSync(folder, { recursive: true, force: true });
      return [missingRow("log", "req/s", "plugd", why)];
    }
    const settings = { seconds: opts.duration, connections: opts.connections, pipeline: 1 };
    ctx.log(`log: ${opts.connections} connections, warm-up ${opts.warmup} s each, ${opts.rounds} rounds x ${opts.duration} s per server`);
    const servers: RunningServer[] = [];
    try {
      for (const spec of [on, off]) {
        servers.push(await startServer(spec));
        const s = servers[servers.length - 1] as RunningServer;
        ctx.log(`  ${s.spec.name.padEnd(10)} pid ${s.pid} at ${s.url}: ${s.spec.describe()}`);
      }
      const cmp = await compareThroughput(ctx, "log", loader, servers, settings);
      await stopAll(servers);
      // Requests the logged server answered (warm-up, measured runs and the start-up check).
      const lines = countLines(join(logDir, "access.log"));
      const measured = (cmp.runs.get(on.name) ?? []).reduce((sum, r) => sum + r.requests, 0);
      const rows = throughputRows("log", cmp, on.name, { op: ">=", value: 0.9 });
      const note = `${lines} access log lines for >= ${measured} measured requests`;
      if (lines < measured) ctx.problem(`log: the access log has ${lines} lines for ${measured} measured requests: lines were dropped`);
      return rows.map((row) => (row.metric === "req/s" ? { ...row, note } : row));
    } catch (err) {
      ctx.problem(`log: ${(err as Error).message}`);
      return [{ ...missingRow("log", "req/s", "plugd", (err as Error).message.split("\n")[0] ?? "", true), plugd: "FAILED" }];
    } finally {
      await stopAll(servers);
      rmSync(folder, { recursive: true, force: true });
    }
  },
};
