// `npm run bench -- [GROUP ...] [options]`: plugd against its peers, measured side by side in
// one run, printing ratios (plugd / peer). Method: DESIGN §10; results: docs/benchmarks.md.
// Exit status: 0 when everything asked for was measured (targets met or not), 1 when a peer,
// plugd or a load generator was missing or failed, or a run saw errors, 2 for bad usage.
import { parseOptions, USAGE, type Options } from "./lib/args.ts";
import { chooseLoader } from "./lib/load.ts";
import { machineLines, table } from "./lib/report.ts";
import { plugdSpec } from "./lib/servers.ts";
import { GROUPS } from "./groups/index.ts";
import type { Context, Row } from "./groups/types.ts";

const usage = USAGE.replace("GROUPS", GROUPS.map((g) => `${g.name}`).join(", "));

let opts: Options;
try {
  const parsed = parseOptions(process.argv.slice(2));
  if (parsed === "help") {
    process.stdout.write(usage + GROUPS.map((g) => `  ${g.name.padEnd(10)} ${g.title}\n`).join(""));
    process.exit(0);
  }
  opts = parsed;
} catch (err) {
  process.stderr.write(`bench: ${(err as Error).message}\n\n${usage}`);
  process.exit(2);
}

const unknown = opts.groups.filter((name) => !GROUPS.some((g) => g.name === name));
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown group(s): ${unknown.join(", ")}; known: ${GROUPS.map((g) => g.name).join(", ")}\n`);
  process.exit(2);
}
const selected = opts.groups.length === 0 ? GROUPS : GROUPS.filter((g) => opts.groups.includes(g.name));

const loader = chooseLoader(opts.loader);
const plugd = plugdSpec(opts.plugd);
const problems: string[] = [];
const started = Date.now();
const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s`;
const ctx: Context = {
  opts,
  loader,
  plugd,
  log: (message) => process.stdout.write(`[${elapsed()}] ${message}\n`),
  problem: (message) => {
    problems.push(message);
    process.stdout.write(`[${elapsed()}] !!! ${message}\n`);
  },
};

for (const line of machineLines(typeof loader === "string" ? `NONE: ${loader}` : loader.describe(), plugd.describe())) ctx.log(line);

const rows: Row[] = [];
for (const group of selected) {
  try {
    rows.push(...(await group.run(ctx)));
  } catch (err) {
    ctx.problem(`${group.name}: failed: ${(err as Error).stack ?? String(err)}`);
    rows.push({ group: group.name, metric: "-", plugd: "FAILED", peer: "-", peerValue: "-", note: (err as Error).message });
  }
}

process.stdout.write(`\n${table(rows)}\n`);
const notes = rows.filter((r) => r.note !== undefined).map((r) => `  ${r.group} ${r.metric} vs ${r.peer}: ${r.note}`);
if (notes.length > 0) process.stdout.write(`notes:\n${notes.join("\n")}\n`);
process.stdout.write(
  "targets (issue): hello plugd/node:http >= 1.5; pipelined plugd/node:http >= 3; idle memory plugd/node:http <= 0.6.\n" +
    "ratios are medians of per-pair ratios (servers alternated in short runs); absolute figures vary by machine.\n",
);
if (problems.length > 0) {
  process.stdout.write(`\n!!! ${problems.length} problem(s):\n${problems.map((p) => `!!! ${p.split("\n")[0]}`).join("\n")}\n`);
}
process.stdout.write(`bench took ${elapsed().trim()}\n`);
process.exit(problems.length > 0 ? 1 : 0);
