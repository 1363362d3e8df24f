// What a benchmark group is. A new group (static files vs nginx, PHP vs nginx+php-fpm,
// CONNECT throughput ...) is one more file in bench/groups/ exporting a Group, listed in
// bench/groups/index.ts.
import type { Options } from "../lib/args.ts";
import type { LoadGenerator } from "../lib/load.ts";
import type { ServerSpec } from "../lib/servers.ts";

export interface Target {
  /** ">=": plugd/peer must be at least `value`; "<=": at most. */
  readonly op: ">=" | "<=";
  readonly value: number;
}

/** One line of the final table. */
export interface Row {
  readonly group: string;
  /** What was measured: "req/s", "p99 ms", "KiB / idle conn". */
  readonly metric: string;
  readonly plugd: string;
  readonly peer: string;
  /** The peer's figure, or "MISSING" / "FAILED". */
  readonly peerValue: string;
  /** plugd / peer: median of per-pair ratios. */
  readonly ratio?: number;
  /** Lowest and highest per-pair ratio. */
  readonly spread?: readonly [number, number];
  readonly target?: Target;
  /** Some rounds were measured while other processes used the CPUs. */
  readonly noisy?: boolean;
  readonly note?: string;
}

export interface Context {
  readonly opts: Options;
  /** May be a message saying why no load generator can run (groups that need none ignore it). */
  readonly loader: LoadGenerator | string;
  readonly plugd: ServerSpec;
  /** Prints a progress line. */
  log(message: string): void;
  /** Reports a problem loudly (printed now and repeated at the end); the bench exits non-zero. */
  problem(message: string): void;
}

export interface Group {
  readonly name: string;
  /** One line for --help and the report. */
  readonly title: string;
  run(ctx: Context): Promise<Row[]>;
}

/** A row saying a peer could not be measured, so it is never silently dropped. */
export function missingRow(group: string, metric: string, peer: string, why: string, failed = false): Row {
  return { group, metric, plugd: "-", peer, peerValue: failed ? "FAILED" : "MISSING", note: why };
}
