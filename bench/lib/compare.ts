// The measuring method of DESIGN §10: servers pinned to one core, the load generator to the
// other, each server warmed up, then rounds of short runs alternating the servers
// (A, B, C, A, B, C ...), reporting the median of the per-round ratios.
import type { Context, Row, Target } from "../groups/types.ts";
import type { LoadGenerator, LoadResult, LoadSettings } from "./load.ts";
import { cpuSnapshot, describeNoise, isNoisy, noiseBetween, waitForQuiet } from "./noise.ts";
import type { RunningServer } from "./servers.ts";
import { fmt, fmtInt, max, median, min } from "./stats.ts";

/** After a noisy round, wait this long at most for the machine to go quiet. */
const QUIET_WAIT_MS = 3000;
/** Rounds run beyond `--rounds` to replace noisy ones (bounds the time). */
const EXTRA_ROUNDS = 2;
/** Quiet rounds needed to leave the noisy ones out. */
const MIN_QUIET = 2;

export interface Comparison {
  /** Measured runs per server name, in round order. */
  readonly runs: Map<string, LoadResult[]>;
  /** Per-round ratio of the first server's req/s to each other server's, by peer name. */
  readonly ratios: Map<string, number[]>;
  /** Rounds kept although the machine was busy (after the retries ran out). */
  readonly noisyRounds: number;
}

/**
 * Warms each server up, then runs `ctx.opts.rounds` rounds; servers[0] is the one compared.
 * A round during which other processes used the CPUs (lib/noise.ts) is noisy: up to
 * EXTRA_ROUNDS more rounds are run to replace noisy ones. The figures come from the quiet
 * rounds when there are at least MIN_QUIET, else from all rounds, reported as noisy.
 */
export async function compareThroughput(ctx: Context, group: string, loader: LoadGenerator, servers: RunningServer[], settings: LoadSettings): Promise<Comparison> {
  const { warmup, rounds } = ctx.opts;
  if (warmup > 0) {
    for (const s of servers) {
      const r = await loader.run(s.url, { ...settings, seconds: warmup });
      checkRun(ctx, s, r, `${group} warm-up`);
      if (ctx.opts.verbose) ctx.log(`  warm-up ${s.spec.name}: ${fmtInt(r.rps)} req/s`);
    }
  }
  interface Round {
    results: LoadResult[];
    noisy: boolean;
  }
  const measured: Round[] = [];
  const maxAttempts = rounds + EXTRA_ROUNDS;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const quietSoFar = measured.filter((r) => !r.noisy).length;
    if (quietSoFar >= rounds || (measured.length >= rounds && quietSoFar + (maxAttempts - attempt + 1) < MIN_QUIET)) break;
    if (measured.length >= rounds) ctx.log(`  ${rounds - quietSoFar} noisy round(s): one more round`);
    if (measured.length > 0 && measured[measured.length - 1]?.noisy === true) await waitForQuiet(QUIET_WAIT_MS);
    const results: LoadResult[] = [];
    const noises: string[] = [];
    for (const s of servers) {
      const before = cpuSnapshot();
      const r = await loader.run(s.url, settings);
      const noise = noiseBetween(before, cpuSnapshot());
      checkRun(ctx, s, r, `${group} round ${attempt}`);
      results.push(r);
      if (isNoisy(noise)) noises.push(`${s.spec.name}: ${describeNoise(noise)}`);
      if (ctx.opts.verbose) ctx.log(`    ${s.spec.name}: ${fmtInt(r.rps)} req/s, p99 ${fmt(r.p99Ms)} ms (${describeNoise(noise)})`);
    }
    const noisy = noises.length > 0;
    measured.push({ results, noisy });
    const parts = servers.map((s, i) => `${s.spec.name} ${fmtInt((results[i] as LoadResult).rps)}`).join(", ");
    ctx.log(`  round ${attempt}: ${parts} req/s${noisy ? ` -- NOISY, machine busy (${noises.join("; ")})` : ""}`);
  }
  // Quiet rounds only, when there are enough of them; else every round, flagged.
  const quiet = measured.filter((r) => !r.noisy);
  const kept = quiet.length >= MIN_QUIET ? quiet : measured;
  const noisyRounds = kept.filter((r) => r.noisy).length;
  if (noisyRounds > 0) {
    ctx.problem(`${group}: only ${quiet.length} quiet round(s) of ${measured.length}: the figures include ${noisyRounds} round(s) measured while other processes used the CPUs`);
  } else if (quiet.length < measured.length) {
    ctx.log(`  ${measured.length - quiet.length} noisy round(s) left out; figures from ${quiet.length} quiet round(s)`);
  }
  const runs = new Map<string, LoadResult[]>(servers.map((s) => [s.spec.name, []]));
  const ratios = new Map<string, number[]>(servers.slice(1).map((s) => [s.spec.name, []]));
  for (const { results } of kept) {
    const first = results[0] as LoadResult;
    servers.forEach((s, i) => runs.get(s.spec.name)?.push(results[i] as LoadResult));
    servers.slice(1).forEach((s, i) => ratios.get(s.spec.name)?.push(first.rps / (results[i + 1] as LoadResult).rps));
  }
  return { runs, ratios, noisyRounds };
}

function checkRun(ctx: Context, s: RunningServer, r: LoadResult, when: string): void {
  if (r.errors > 0 || r.badStatus > 0) {
    ctx.problem(`${s.spec.name} (${when}): ${r.errors} socket errors/timeouts and ${r.badStatus} non-2xx responses out of ${r.requests}`);
  }
  if (s.proc.child.exitCode !== null || s.proc.child.signalCode !== null) {
    throw new Error(`${s.spec.name} died during the ${when} run`);
  }
}

/** Median req/s and p99 of a server's runs. */
export function summarize(runs: readonly LoadResult[]): { rps: number; p99Ms: number } {
  return { rps: median(runs.map((r) => r.rps)), p99Ms: median(runs.map((r) => r.p99Ms)) };
}

/** Table rows for a comparison: req/s (with ratio and target) and p99 per peer. */
export function throughputRows(group: string, cmp: Comparison, first: string, target: Target | undefined, p99Label = "p99 ms (lower is better)"): Row[] {
  const mine = summarize(cmp.runs.get(first) ?? []);
  const rows: Row[] = [];
  for (const [peer, ratios] of cmp.ratios) {
    const theirs = summarize(cmp.runs.get(peer) ?? []);
    rows.push({
      group,
      metric: "req/s",
      plugd: fmtInt(mine.rps),
      peer,
      peerValue: fmtInt(theirs.rps),
      ratio: median(ratios),
      spread: [min(ratios), max(ratios)],
      ...(target !== undefined ? { target } : {}),
      ...(cmp.noisyRounds > 0 ? { noisy: true, note: `${cmp.noisyRounds} round(s) measured while other processes used the CPUs` } : {}),
    });
    rows.push({
      group,
      metric: p99Label,
      plugd: fmt(mine.p99Ms),
      peer,
      peerValue: fmt(theirs.p99Ms),
      ratio: mine.p99Ms / theirs.p99Ms,
    });
  }
  return rows;
}
