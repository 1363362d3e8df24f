// Command line of `npm run bench -- [group ...] [options]`.
import { parseArgs } from "node:util";

export interface Options {
  /** Groups to run, in order; empty = all. */
  readonly groups: string[];
  /** Seconds per measured run. */
  readonly duration: number;
  /** Seconds of warm-up load per server before the measured runs. */
  readonly warmup: number;
  /** Rounds: each round runs every server of the group once (A, B, A, B ...). */
  readonly rounds: number;
  readonly connections: number;
  readonly pipelineDepth: number;
  /** Idle keep-alive connections opened for the memory group. */
  readonly memoryConnections: number;
  /** Fresh-server measurements per server in the memory group (median is reported). */
  readonly memoryRounds: number;
  /** Load generator: "auto" (wrk if installed, else autocannon), "wrk" or "autocannon". */
  readonly loader: "auto" | "wrk" | "autocannon";
  /** How plugd is started: "auto" (the CLI if core/cli.ts exists), "cli" or "launcher". */
  readonly plugd: "auto" | "cli" | "launcher";
  /** Print each run as it finishes. */
  readonly verbose: boolean;
  /** Run `node --cpu-prof` on plugd under this group's load and print its hot spots. */
  readonly profile: boolean;
}

export const USAGE = `Usage: npm run bench -- [GROUP ...] [options]

Groups (default: all): GROUPS

Options:
  --duration S          seconds per measured run (default 3)
  --warmup S            seconds of warm-up load per server (default 2)
  --rounds N            measured rounds, each runs every server once (default 4)
  --connections N       load generator connections (default 50)
  --pipeline-depth N    requests in flight per connection for "pipelined" (default 16)
  --memory-connections N  idle keep-alive connections for "memory" (default 10000)
  --memory-rounds N     fresh-server measurements per server for "memory" (default 2)
  --loader L            auto | wrk | autocannon (default auto: wrk when installed)
  --plugd P             auto | cli | launcher (default auto: core/cli.ts + bench/hello.config.json)
  --profile             also profile plugd (node --cpu-prof) under load and print its hot spots
  --verbose             print every run
  --help
`;

export function parseOptions(argv: string[]): Options | "help" {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      duration: { type: "string", default: "3" },
      warmup: { type: "string", default: "2" },
      rounds: { type: "string", default: "4" },
      connections: { type: "string", default: "50" },
      "pipeline-depth": { type: "string", default: "16" },
      "memory-connections": { type: "string", default: "10000" },
      "memory-rounds": { type: "string", default: "2" },
      loader: { type: "string", default: "auto" },
      plugd: { type: "string", default: "auto" },
      profile: { type: "boolean", default: false },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help";
  const loader = oneOf(values.loader, ["auto", "wrk", "autocannon"] as const, "--loader");
  const plugd = oneOf(values.plugd, ["auto", "cli", "launcher"] as const, "--plugd");
  return {
    groups: positionals,
    duration: positive(values.duration, "--duration"),
    warmup: nonNegative(values.warmup, "--warmup"),
    rounds: positive(values.rounds, "--rounds"),
    connections: positive(values.connections, "--connections"),
    pipelineDepth: positive(values["pipeline-depth"], "--pipeline-depth"),
    memoryConnections: positive(values["memory-connections"], "--memory-connections"),
    memoryRounds: positive(values["memory-rounds"], "--memory-rounds"),
    loader,
    plugd,
    verbose: values.verbose,
    profile: values.profile,
  };
}

function oneOf<T extends string>(value: string, allowed: readonly T[], name: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new Error(`${name} must be one of ${allowed.join(", ")}, not ${JSON.stringify(value)}`);
}

function positive(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, not ${JSON.stringify(text)}`);
  return n;
}

function nonNegative(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number >= 0, not ${JSON.stringify(text)}`);
  return n;
}
