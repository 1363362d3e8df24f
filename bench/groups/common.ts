// Shared steps of the groups: start plugd and its peers (reporting any that cannot run),
// stop them, and the optional profile of plugd under the group's load.
import type { LoadGenerator, LoadSettings } from "../lib/load.ts";
import { profileUnderLoad } from "../lib/profile.ts";
import { startServer, type RunningServer, type ServerSpec, type ServerVariant } from "../lib/servers.ts";
import { missingRow, type Context, type Row } from "./types.ts";

export interface StartedSet {
  /** plugd first, then the peers that started, in the order given. */
  readonly servers: RunningServer[];
  /** MISSING/FAILED rows for the peers that did not. */
  readonly rows: Row[];
}

/**
 * Starts plugd and `peers`. A peer that is missing or fails to start is reported loudly and
 * gets a row; when plugd itself cannot run, nothing is left running and `servers` is empty.
 */
export async function startSet(ctx: Context, group: string, metric: string, peers: ServerSpec[], variant: ServerVariant = {}): Promise<StartedSet> {
  const rows: Row[] = [];
  const servers: RunningServer[] = [];
  const plugdMissing = ctx.plugd.missing();
  if (plugdMissing !== undefined) {
    ctx.problem(`${group}: plugd cannot run: ${plugdMissing}`);
    return { servers, rows: [{ ...missingRow(group, metric, "-", plugdMissing), plugd: "MISSING", peerValue: "-" }] };
  }
  try {
    servers.push(await startServer(ctx.plugd, variant));
  } catch (err) {
    ctx.problem(`${group}: ${(err as Error).message}`);
    return { servers, rows: [{ ...missingRow(group, metric, "-", "plugd did not start", true), plugd: "FAILED", peerValue: "-" }] };
  }
  for (const spec of peers) {
    const why = spec.missing();
    if (why !== undefined) {
      ctx.problem(`${group}: peer ${spec.name} is MISSING: ${why}`);
      rows.push(missingRow(group, metric, spec.name, why));
      continue;
    }
    try {
      servers.push(await startServer(spec, variant));
    } catch (err) {
      ctx.problem(`${group}: peer ${(err as Error).message}`);
      rows.push(missingRow(group, metric, spec.name, "did not start (see above)", true));
    }
  }
  for (const s of servers) ctx.log(`  ${s.spec.name.padEnd(10)} pid ${s.pid} at ${s.url}: ${s.spec.describe()}`);
  return { servers, rows };
}

export async function stopAll(servers: readonly RunningServer[]): Promise<void> {
  await Promise.all(servers.map((s) => s.stop()));
}

/** With --profile: a fresh plugd under the same load with node --cpu-prof; prints its hot spots. */
export async function maybeProfile(ctx: Context, loader: LoadGenerator, group: string, settings: LoadSettings): Promise<void> {
  if (!ctx.opts.profile) return;
  try {
    await profileUnderLoad(ctx, loader, group, settings);
  } catch (err) {
    ctx.problem(`${group}: profiling failed: ${(err as Error).message}`);
  }
}
